package loyalty

import "time"

// Tier change directions.
const (
	TierUp   = "up"
	TierDown = "down"
)

// Metric answers a member's qualifying total for a basis ("points": points
// earned net of refunds; "spend": currency spent net of refunds) over the
// rolling window that ends now.
type Metric func(basis string, window time.Duration) float64

// TierState is what the ledger keeps per member for tier decisions.
type TierState struct {
	Tier string // "" = below every tier
	// BelowSince is when the member first fell below their tier's threshold;
	// zero while they still qualify. The downgrade grace counts from here.
	BelowSince time.Time
}

// TierChange is one tier move, recorded for playbooks (trigger tierChange).
type TierChange struct {
	From, To  string
	Direction string // TierUp or TierDown
	At        time.Time
}

// QualifiedTier is the highest tier whose threshold the member meets:
// metric(tier.basis, tier.window) >= tier.threshold. "" when none.
func (c *Config) QualifiedTier(metric Metric) string {
	best := ""
	for _, t := range c.Tiers {
		if metric(t.Basis, t.Window.Duration) >= t.Threshold {
			best = t.Name
		}
	}
	return best
}

// DecideTier applies the upgrade-at-once / downgrade-after-grace rule:
//
//	qualified above current: move up now.
//	qualified at current:    stay, clear BelowSince.
//	qualified below current: start the grace clock (BelowSince = now) if not
//	  running; once now - BelowSince >= current tier's downgradeGrace, move
//	  straight down to the qualified tier.
//
// The returned change is nil when the tier stays.
func (c *Config) DecideTier(s TierState, qualified string, now time.Time) (TierState, *TierChange) {
	cur, q := c.tierIndex(s.Tier), c.tierIndex(qualified)
	switch {
	case q > cur:
		return TierState{Tier: qualified}, &TierChange{From: s.Tier, To: qualified, Direction: TierUp, At: now}
	case q == cur:
		return TierState{Tier: s.Tier}, nil
	}
	if s.BelowSince.IsZero() {
		return TierState{Tier: s.Tier, BelowSince: now}, nil
	}
	grace := c.Tiers[cur].DowngradeGrace.Duration
	if now.Sub(s.BelowSince) >= grace {
		return TierState{Tier: qualified}, &TierChange{From: s.Tier, To: qualified, Direction: TierDown, At: now}
	}
	return s, nil
}

// Progress describes how far a member is from the next tier up.
type Progress struct {
	NextTier  string  `json:"nextTier"`
	Basis     string  `json:"basis"`
	Current   float64 `json:"current"`
	Threshold float64 `json:"threshold"`
	Remaining float64 `json:"remaining"`
	// Fraction is current / threshold, capped at 1.
	Fraction float64 `json:"fraction"`
}

// ProgressToNext is the progress toward the tier above tier, nil at the top.
func (c *Config) ProgressToNext(tier string, metric Metric) *Progress {
	i := c.tierIndex(tier) + 1
	if i >= len(c.Tiers) {
		return nil
	}
	t := c.Tiers[i]
	cur := metric(t.Basis, t.Window.Duration)
	p := &Progress{NextTier: t.Name, Basis: t.Basis, Current: cur, Threshold: t.Threshold,
		Remaining: max(t.Threshold-cur, 0), Fraction: 1}
	if t.Threshold > 0 {
		p.Fraction = min(cur/t.Threshold, 1)
	}
	return p
}

// Windows lists the distinct (basis, window) pairs the tiers need, so a ledger
// can compute each qualifying total once.
func (c *Config) Windows() []struct {
	Basis  string
	Window time.Duration
} {
	type bw = struct {
		Basis  string
		Window time.Duration
	}
	var out []bw
	seen := map[bw]bool{}
	for _, t := range c.Tiers {
		k := bw{t.Basis, t.Window.Duration}
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}
