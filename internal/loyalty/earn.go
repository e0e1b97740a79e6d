package loyalty

import "math"

// roundingEpsilon absorbs binary floating-point noise before rounding, so that
// 19.99 * 100 (= 1998.9999999999998 in float64) floors to 1999, not 1998.
const roundingEpsilon = 1e-9

// RoundPoints turns fractional points into whole points with the configured
// rounding mode (floor when empty).
func RoundPoints(x float64, mode string) int64 {
	switch mode {
	case RoundCeil:
		return int64(math.Ceil(x - roundingEpsilon))
	case RoundRound:
		return int64(math.Round(x))
	default:
		return int64(math.Floor(x + roundingEpsilon))
	}
}

// Multiplier is the earn multiplier for a tier (1 when the tier has none).
func (c *Config) Multiplier(tier string) float64 {
	if m, ok := c.EarnRules.TierMultipliers[tier]; ok {
		return m
	}
	return 1
}

// OrderPoints is the points an order earns for a member in tier:
//
//	points = rounding(amount * pointsPerUnit * tierMultiplier(tier))
//
// Orders with amount <= 0 earn nothing (negative amounts are refunds, see RefundPoints).
func (c *Config) OrderPoints(amount float64, tier string) int64 {
	if amount <= 0 {
		return 0
	}
	return RoundPoints(amount*c.EarnRules.PointsPerUnit*c.Multiplier(tier), c.EarnRules.Rounding)
}

// EventBonus is the bonus points for one event of eventType (0 when none is configured).
// Bonuses are flat: tier multipliers apply to spend only.
func (c *Config) EventBonus(eventType string) int64 {
	var total int64
	for _, b := range c.EarnRules.EventBonuses {
		if b.EventType == eventType {
			total += b.Points
		}
	}
	return total
}

// RefundPoints is how many of an order's earned points a refund takes back:
//
//	full refund (refunded <= 0 or >= orderAmount): earned
//	partial:  rounding(earned * refunded / orderAmount), at most earned
//
// The proportion uses the points actually earned, so the tier multiplier that
// applied at purchase time is reversed too.
func (c *Config) RefundPoints(earned int64, orderAmount, refunded float64) int64 {
	if refunded <= 0 || orderAmount <= 0 || refunded >= orderAmount {
		return earned
	}
	p := RoundPoints(float64(earned)*refunded/orderAmount, c.EarnRules.Rounding)
	return min(p, earned)
}

// UnlinkedRefundPoints is the points taken back by a negative-amount order that
// names no original order: rounding(|amount| * pointsPerUnit), no multiplier.
func (c *Config) UnlinkedRefundPoints(amount float64) int64 {
	return RoundPoints(math.Abs(amount)*c.EarnRules.PointsPerUnit, c.EarnRules.Rounding)
}
