package loyalty

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestCheckAdjustmentBounds(t *testing.T) {
	for _, p := range []int64{0, MaxAdjustment + 1, -MaxAdjustment - 1, math.MaxInt64, math.MinInt64} {
		if CheckAdjustment(p) == nil {
			t.Errorf("CheckAdjustment(%d) accepted", p)
		}
	}
	for _, p := range []int64{1, -1, MaxAdjustment, -MaxAdjustment} {
		if err := CheckAdjustment(p); err != nil {
			t.Errorf("CheckAdjustment(%d): %v", p, err)
		}
	}
}

func TestCheckCreditNeverOverflows(t *testing.T) {
	refused := []struct{ balance, credit int64 }{
		{0, MaxBalance + 1}, {MaxBalance, 1}, {1, math.MaxInt64}, {math.MaxInt64, math.MaxInt64}, {0, -1}, {0, math.MinInt64},
	}
	for _, c := range refused {
		err := CheckCredit("points", c.balance, c.credit)
		var be *BalanceBoundError
		if !errors.As(err, &be) || be.Field != "points" {
			t.Errorf("CheckCredit(%d, %d) = %v, want a BalanceBoundError on points", c.balance, c.credit, err)
		}
	}
	for _, c := range []struct{ balance, credit int64 }{{0, MaxBalance}, {MaxBalance - 1, 1}, {5, 0}} {
		if err := CheckCredit("points", c.balance, c.credit); err != nil {
			t.Errorf("CheckCredit(%d, %d): %v", c.balance, c.credit, err)
		}
	}
}

// Days is a shorthand for building Durations in tests.
func Days(n float64) Duration { return Duration{time.Duration(n * float64(24*time.Hour))} }
