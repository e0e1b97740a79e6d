package clv

import (
	"testing"
	"time"
)

// TestSummaryFromDays: hand-computed rows in weeks, as Summarize gives them.
func TestSummaryFromDays(t *testing.T) {
	end := DayNumber(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)) // 19783
	cases := []struct {
		name                        string
		days, first, last           int64
		repeat                      float64
		wantX, wantTx, wantT, wantM float64
	}{
		{"one day", 1, end - 14, end - 14, 0, 0, 0, 2, 0},
		{"three days", 3, end - 28, end - 7, 30, 2, 3, 4, 15},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := SummaryFromDays("a", c.days, c.first, c.last, end, c.repeat, week)
			if s.CustomerID != "a" || s.Frequency != c.wantX || s.Recency != c.wantTx || s.T != c.wantT || s.Monetary != c.wantM {
				t.Errorf("got %+v, want x=%v t_x=%v T=%v m=%v", s, c.wantX, c.wantTx, c.wantT, c.wantM)
			}
		})
	}
}
