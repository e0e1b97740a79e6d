// Package loyalty is the pure loyalty-program engine: earning rules, rounding,
// tiers with rolling qualification windows and downgrade grace, points expiry
// and FIFO lot accounting. It imports only the standard library and
// internal/customer; the ledger itself lives in internal/store (points*.go)
// and every function here takes the current time as an argument, so callers
// inject their clock.
package loyalty

import (
	"fmt"
	"time"
)

// Rounding modes for fractional points (points are whole numbers).
const (
	RoundFloor = "floor"
	RoundRound = "round"
	RoundCeil  = "ceil"
)

// Tier qualification bases.
const (
	BasisPoints = "points"
	BasisSpend  = "spend"
)

// Expiry modes.
const (
	ExpiryFixed      = "fixed"
	ExpiryInactivity = "inactivity"
)

// RefundEventType is the event type that reverses an earlier order's points:
// Properties["orderId"] names the order, and the optional Properties["amount"]
// (a positive number in the program currency) makes it a partial refund.
const RefundEventType = "refund"

// Config mirrors the LoyaltyProgram CRD spec (minus the dataSourceRef, which
// the worker resolves into a connector). JSON names match the CRD.
type Config struct {
	Currency string `json:"currency"`
	// PointValue is the currency value of one point, used for the liability
	// figure: liability = outstanding points * PointValue.
	PointValue    float64       `json:"pointValue"`
	EarnRules     EarnRules     `json:"earnRules"`
	Tiers         []Tier        `json:"tiers"`
	Rewards       []Reward      `json:"rewards"`
	PointsExpiry  *PointsExpiry `json:"pointsExpiry,omitempty"`
	PendingPeriod Duration      `json:"pendingPeriod"`
	// EnrollEventType, when set, makes membership opt-in: only customers with an
	// event of this type earn points (from that event on). Empty means every
	// customer who orders is a member.
	EnrollEventType string `json:"enrollEventType,omitempty"`
}

// EarnRules say how orders and events turn into points.
type EarnRules struct {
	// PointsPerUnit is points per 1 unit of currency spent.
	PointsPerUnit   float64            `json:"pointsPerUnit"`
	Rounding        string             `json:"rounding,omitempty"`
	EventBonuses    []EventBonus       `json:"eventBonuses,omitempty"`
	TierMultipliers map[string]float64 `json:"tierMultipliers,omitempty"`
}

// EventBonus credits a fixed number of points for each event of a type.
type EventBonus struct {
	EventType string `json:"eventType"`
	Points    int64  `json:"points"`
}

// Tier is one level; Tiers are listed in ascending order of Threshold.
type Tier struct {
	Name      string  `json:"name"`
	Threshold float64 `json:"threshold"`
	// Basis is "points" (points earned in the window) or "spend" (currency spent in the window).
	Basis string `json:"basis"`
	// Window is the rolling qualification window.
	Window Duration `json:"window"`
	// DowngradeGrace is how long a member may stay below this tier's threshold
	// before being moved down.
	DowngradeGrace Duration `json:"downgradeGrace"`
}

// Reward is something points can buy.
type Reward struct {
	Name        string `json:"name"`
	Cost        int64  `json:"cost"`
	Description string `json:"description,omitempty"`
	// MinTier restricts the reward to members of this tier or above (in the
	// order of Config.Tiers); empty means every member may redeem it.
	MinTier string `json:"minTier,omitempty"`
}

// PointsExpiry says when points lapse.
type PointsExpiry struct {
	// Mode "fixed": each lot lapses After its points became available.
	// Mode "inactivity": all points lapse After the member's last activity
	// (an order, event or redemption).
	Mode          string   `json:"mode"`
	After         Duration `json:"after"`
	WarningWindow Duration `json:"warningWindow"`
}

// Duration is a time.Duration. The CRD's duration grammar ("365d", "2w") is
// parsed once, by v1alpha1.ParseDuration in specmap; the engine takes the
// result.
type Duration struct{ time.Duration }

// FieldError names the config field that is wrong and how to fix it.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// Validate checks the config and fills defaults (rounding floor, basis points).
func (c *Config) Validate() error {
	if c.EarnRules.PointsPerUnit < 0 {
		return &FieldError{"earnRules.pointsPerUnit", "must be >= 0"}
	}
	switch c.EarnRules.Rounding {
	case "":
		c.EarnRules.Rounding = RoundFloor
	case RoundFloor, RoundRound, RoundCeil:
	default:
		return &FieldError{"earnRules.rounding", fmt.Sprintf("%q is not one of floor, round, ceil", c.EarnRules.Rounding)}
	}
	for i, b := range c.EarnRules.EventBonuses {
		if b.EventType == "" {
			return &FieldError{fmt.Sprintf("earnRules.eventBonuses[%d].eventType", i), "must be set"}
		}
	}
	for name, m := range c.EarnRules.TierMultipliers {
		if m <= 0 {
			return &FieldError{"earnRules.tierMultipliers." + name, "must be > 0"}
		}
		if c.tierIndex(name) < 0 {
			return &FieldError{"earnRules.tierMultipliers." + name, "names no tier in tiers"}
		}
	}
	seen := map[string]bool{}
	for i := range c.Tiers {
		t := &c.Tiers[i]
		f := fmt.Sprintf("tiers[%d]", i)
		if t.Name == "" {
			return &FieldError{f + ".name", "must be set"}
		}
		if seen[t.Name] {
			return &FieldError{f + ".name", fmt.Sprintf("duplicate tier %q", t.Name)}
		}
		seen[t.Name] = true
		switch t.Basis {
		case "":
			t.Basis = BasisPoints
		case BasisPoints, BasisSpend:
		default:
			return &FieldError{f + ".basis", fmt.Sprintf("%q is not points or spend", t.Basis)}
		}
		if t.Window.Duration <= 0 {
			return &FieldError{f + ".window", "must be a positive duration such as 365d"}
		}
		if i > 0 && t.Threshold < c.Tiers[i-1].Threshold {
			return &FieldError{f + ".threshold", "tiers must be listed in ascending threshold order"}
		}
	}
	rewards := map[string]bool{}
	for i, r := range c.Rewards {
		if r.Name == "" || rewards[r.Name] {
			return &FieldError{fmt.Sprintf("rewards[%d].name", i), "must be set and unique"}
		}
		rewards[r.Name] = true
		if r.Cost <= 0 {
			return &FieldError{fmt.Sprintf("rewards[%d].cost", i), "must be > 0"}
		}
		if r.MinTier != "" && c.tierIndex(r.MinTier) < 0 {
			return &FieldError{fmt.Sprintf("rewards[%d].minTier", i), fmt.Sprintf("%q names no tier in tiers", r.MinTier)}
		}
	}
	if e := c.PointsExpiry; e != nil {
		if e.Mode != ExpiryFixed && e.Mode != ExpiryInactivity {
			return &FieldError{"pointsExpiry.mode", fmt.Sprintf("%q is not fixed or inactivity", e.Mode)}
		}
		if e.After.Duration <= 0 {
			return &FieldError{"pointsExpiry.after", "must be a positive duration such as 365d"}
		}
	}
	if c.PendingPeriod.Duration < 0 {
		return &FieldError{"pendingPeriod", "must be >= 0"}
	}
	if c.PointValue < 0 {
		return &FieldError{"pointValue", "must be >= 0"}
	}
	return nil
}

// Reward finds a reward by name.
func (c *Config) Reward(name string) (Reward, bool) {
	for _, r := range c.Rewards {
		if r.Name == name {
			return r, true
		}
	}
	return Reward{}, false
}

// tierIndex is the position of a tier in Tiers, -1 for none ("" or unknown).
func (c *Config) tierIndex(name string) int {
	for i, t := range c.Tiers {
		if t.Name == name {
			return i
		}
	}
	return -1
}
