package controller

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/conditions"
)

// settling holds back only a Progressing-to-Progressing change of reason
// within statusSettle of the last transition, and nothing else.
func TestSettlingHoldsBackOnlyProgressWithinProgress(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	progressing := func(reason string, since time.Duration) *v1alpha1.Playbook {
		pb := &v1alpha1.Playbook{}
		conditions.Summarise(pb, conditions.Outcome{Kind: conditions.Progressing, Reason: reason, Message: reason})
		for i := range pb.Status.Conditions {
			pb.Status.Conditions[i].LastTransitionTime = metav1.NewTime(now.Add(-since))
		}
		return pb
	}
	rollingOut := conditions.Outcome{Kind: conditions.Progressing, Reason: "RollingOut", Message: "rolling out"}
	cases := []struct {
		name    string
		before  *v1alpha1.Playbook
		outcome conditions.Outcome
		edit    func(*v1alpha1.Playbook)
		want    time.Duration
	}{
		{"next step of a fresh progress is held back", progressing("SegmentNotReady", 3*time.Second), rollingOut, nil, statusSettle - 3*time.Second},
		{"progress older than statusSettle is written", progressing("SegmentNotReady", statusSettle+time.Second), rollingOut, nil, 0},
		{"a new object is written", &v1alpha1.Playbook{}, rollingOut, nil, 0},
		{"Ready is written", progressing("RollingOut", time.Second), conditions.Outcome{Kind: conditions.Ready, Reason: "Running"}, nil, 0},
		{"Stalled is written", progressing("RollingOut", time.Second), conditions.Outcome{Kind: conditions.Stalled, Reason: "InvalidJourney"}, nil, 0},
		{"another status field is written", progressing("SegmentNotReady", time.Second), rollingOut,
			func(pb *v1alpha1.Playbook) { pb.Status.Replicas = 1 }, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := tc.before.DeepCopy()
			if tc.edit != nil {
				tc.edit(obj)
			}
			conditions.Summarise(obj, tc.outcome)
			if got := settling(obj, tc.before, tc.outcome, now); got != tc.want {
				t.Fatalf("settling = %s, want %s", got, tc.want)
			}
		})
	}
}
