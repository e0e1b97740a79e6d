package cli

import (
	"bytes"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	for _, tc := range []struct {
		done, total int
		want        string
	}{
		{0, 10, "lint [..............................] 0/10  3s"},
		{5, 10, "lint [###############...............] 5/10  3s"},
		{12, 10, "lint [##############################] 10/10  3s"},
		{42, 0, "lint 42  3s"},
	} {
		if got := progressLine("lint", tc.done, tc.total, 3*time.Second+200*time.Millisecond); got != tc.want {
			t.Errorf("progressLine(%d, %d) = %q, want %q", tc.done, tc.total, got, tc.want)
		}
	}
}

// A bar on something that is not a terminal never draws (CI logs stay clean).
func TestProgressSilentOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "x", 3)
	p.Set(2)
	p.Done()
	if buf.Len() != 0 {
		t.Errorf("wrote %q", buf.String())
	}
}
