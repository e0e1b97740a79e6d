package specmap

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/journey"
)

// TestPlaybookLedgerRetention: unset means the one default; a period in
// bounds is passed through; one outside them is refused naming the field.
func TestPlaybookLedgerRetention(t *testing.T) {
	for _, tc := range []struct {
		in      v1alpha1.Duration
		want    time.Duration
		refused bool
	}{
		{"", journey.DefaultLedgerRetention, false},
		{"90d", 90 * 24 * time.Hour, false},
		{"1h", time.Hour, false},
		{"30m", 0, true},
		{"3651d", 0, true},
	} {
		spec := &v1alpha1.PlaybookSpec{SegmentRef: v1alpha1.LocalObjectReference{Name: "all"},
			Trigger:         v1alpha1.Trigger{SegmentEntry: &v1alpha1.SegmentEntryTrigger{}},
			Steps:           []v1alpha1.Step{{Name: "end", Exit: &v1alpha1.ExitStep{}}},
			LedgerRetention: tc.in}
		cfg, err := Playbook("shop", "p", spec)
		var re *journey.RetentionError
		switch {
		case tc.refused && (!errors.As(err, &re) || !strings.Contains(err.Error(), "spec.ledgerRetention")):
			t.Errorf("%q: %v, want a RetentionError naming spec.ledgerRetention", tc.in, err)
		case !tc.refused && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case !tc.refused && cfg.Retention() != tc.want:
			t.Errorf("%q: retention %s, want %s", tc.in, cfg.Retention(), tc.want)
		}
	}
}
