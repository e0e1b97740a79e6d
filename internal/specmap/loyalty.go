package specmap

import (
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/loyalty"
)

// DefaultTierWindow is the CRD's default spec.tierQualification.window.
const DefaultTierWindow = 365 * 24 * time.Hour

// Loyalty converts a LoyaltyProgram spec into the points engine's config and
// validates it with the engine's own rules (loyalty.Config.Validate), so a
// controller refuses exactly what the worker would.
//
// The CRD and the engine differ in shape, not meaning:
//
//   - spec.pointValue is a decimal string; the engine takes a float.
//   - tierMultipliers are percent (150 = 1.5x); the engine takes the factor,
//     multiplier = percent / 100.
//   - tierQualification (basis Points|Spend, window default 365d) is one
//     setting for the whole program; the engine keeps it per tier, so every
//     tier gets the same basis and window.
//   - enum values are capitalised in the CRD (Floor, Fixed) and lower-case in
//     the engine (floor, fixed).
//
// Not carried over: tiers[].benefits (display text the engine never reads).
// rewards[].minTier is carried over as is: the engine refuses a redemption
// by a member below that tier (tier order = spec.tiers order).
func Loyalty(spec *v1alpha1.LoyaltyProgramSpec) (loyalty.Config, error) {
	cfg := loyalty.Config{Currency: spec.Currency}
	if spec.PointValue == "" {
		return cfg, fmt.Errorf(`spec.pointValue is empty; set what one point is worth in %s, e.g. "0.01"`, spec.Currency)
	}
	v, err := spec.PointValue.Parse("spec.pointValue")
	if err != nil {
		return cfg, err
	}
	cfg.PointValue = v

	if cfg.EarnRules, err = earnRules(&spec.EarnRules); err != nil {
		return cfg, err
	}
	if cfg.Tiers, err = tiers(spec); err != nil {
		return cfg, err
	}
	for _, r := range spec.Rewards {
		cfg.Rewards = append(cfg.Rewards, loyalty.Reward{Name: r.Name, Cost: r.Cost, Description: r.Description,
			MinTier: r.MinTier})
	}
	if e := spec.PointsExpiry; e != nil {
		mode, ok := map[string]string{"Fixed": loyalty.ExpiryFixed, "Inactivity": loyalty.ExpiryInactivity}[e.Mode]
		if !ok {
			return cfg, fmt.Errorf("spec.pointsExpiry.mode %q is not Fixed or Inactivity", e.Mode)
		}
		exp := &loyalty.PointsExpiry{Mode: mode}
		if exp.After, err = loyaltyDuration("spec.pointsExpiry.after", e.After); err != nil {
			return cfg, err
		}
		if exp.WarningWindow, err = loyaltyDuration("spec.pointsExpiry.warningWindow", e.WarningWindow); err != nil {
			return cfg, err
		}
		cfg.PointsExpiry = exp
	}
	if cfg.PendingPeriod, err = loyaltyDuration("spec.pendingPeriod", spec.PendingPeriod); err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("spec.%w", err)
	}
	return cfg, nil
}

func earnRules(e *v1alpha1.EarnRules) (loyalty.EarnRules, error) {
	out := loyalty.EarnRules{PointsPerUnit: float64(e.PointsPerUnit)}
	switch e.Rounding {
	case "", "Floor":
		out.Rounding = loyalty.RoundFloor
	case "Round":
		out.Rounding = loyalty.RoundRound
	case "Ceil":
		out.Rounding = loyalty.RoundCeil
	default:
		return out, fmt.Errorf("spec.earnRules.rounding %q is not one of Floor, Round, Ceil", e.Rounding)
	}
	for _, b := range e.EventBonuses {
		out.EventBonuses = append(out.EventBonuses, loyalty.EventBonus{EventType: b.EventType, Points: b.Points})
	}
	for i, m := range e.TierMultipliers {
		if m.Percent <= 0 {
			return out, fmt.Errorf("spec.earnRules.tierMultipliers[%d].percent must be > 0 (150 means 1.5x)", i)
		}
		if out.TierMultipliers == nil {
			out.TierMultipliers = map[string]float64{}
		}
		out.TierMultipliers[m.Tier] = float64(m.Percent) / 100
	}
	return out, nil
}

func tiers(spec *v1alpha1.LoyaltyProgramSpec) ([]loyalty.Tier, error) {
	basis, window := loyalty.BasisPoints, DefaultTierWindow
	if q := spec.TierQualification; q != nil {
		switch q.Basis {
		case "", "Points":
		case "Spend":
			basis = loyalty.BasisSpend
		default:
			return nil, fmt.Errorf("spec.tierQualification.basis %q is not Points or Spend", q.Basis)
		}
		if q.Window != "" {
			d, err := Duration("spec.tierQualification.window", q.Window)
			if err != nil {
				return nil, err
			}
			window = d
		}
	}
	var out []loyalty.Tier
	for i, t := range spec.Tiers {
		grace, err := loyaltyDuration(fmt.Sprintf("spec.tiers[%d].downgradeGrace", i), t.DowngradeGrace)
		if err != nil {
			return nil, err
		}
		out = append(out, loyalty.Tier{Name: t.Name, Threshold: float64(t.Threshold), Basis: basis,
			Window: loyalty.Duration{Duration: window}, DowngradeGrace: grace})
	}
	return out, nil
}

func loyaltyDuration(field string, d v1alpha1.Duration) (loyalty.Duration, error) {
	v, err := Duration(field, d)
	return loyalty.Duration{Duration: v}, err
}
