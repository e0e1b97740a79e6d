package loyalty

import "fmt"

// Points are int64 and every balance is a sum of lots, so unbounded credits
// overflow: an adjustment of math.MaxInt64 once turned a balance negative and
// math.MinInt64 (whose negation is itself) made a member unreadable. These
// bounds keep every sum far from overflow: a member at MaxBalance can hold
// more than nine million lots before int64 would wrap, and one adjustment is
// at most MaxAdjustment.
const (
	// MaxAdjustment is the largest magnitude of one admin adjustment.
	MaxAdjustment int64 = 1_000_000_000
	// MaxBalance is the most points (available plus pending) one member may hold.
	MaxBalance int64 = 1_000_000_000_000
)

// BalanceBoundError refuses a credit that would take a member's balance above
// MaxBalance (or a credit that is itself out of range). Field names the
// request field or the source row that carried the credit.
type BalanceBoundError struct {
	Field           string
	Balance, Credit int64
}

func (e *BalanceBoundError) Error() string {
	return fmt.Sprintf("%s: a credit of %d points on a balance of %d would exceed the maximum balance of %d points",
		e.Field, e.Credit, e.Balance, MaxBalance)
}

// CheckAdjustment refuses a zero adjustment or one outside ±MaxAdjustment.
func CheckAdjustment(points int64) error {
	if points == 0 || points > MaxAdjustment || points < -MaxAdjustment {
		return fmt.Errorf("points must be a non-zero integer from %d to %d (positive credits, negative debits)",
			-MaxAdjustment, MaxAdjustment)
	}
	return nil
}

// CheckCredit refuses a negative credit, or one that would take a member
// holding balance (available plus pending) above MaxBalance. It compares
// against the room left, never computing a sum that could overflow.
func CheckCredit(field string, balance, credit int64) error {
	if credit < 0 || balance < 0 || credit > MaxBalance || balance > MaxBalance-credit {
		return &BalanceBoundError{Field: field, Balance: balance, Credit: credit}
	}
	return nil
}
