package journey

import "math"

// z975 is the 97.5th percentile of the standard normal (two-sided 95%).
const z975 = 1.959963984540054

// Lift compares the goal conversion rate of messaged (treatment) customers
// with the holdout.
type Lift struct {
	TreatmentRate float64 `json:"treatmentRate"`
	HoldoutRate   float64 `json:"holdoutRate"`
	// Difference = pT - pH (absolute lift, in rate units).
	Difference float64 `json:"difference"`
	// Low and High bound the 95% Wald interval of the difference:
	//   pT - pH ± 1.95996 * sqrt(pT(1-pT)/nT + pH(1-pH)/nH)
	Low  float64 `json:"low"`
	High float64 `json:"high"`
	// Relative = pT/pH - 1 (0 when pH is 0).
	Relative float64 `json:"relative"`
	// Valid is false when either group is empty.
	Valid bool `json:"valid"`
}

// ComputeLift returns the difference of proportions with its 95% Wald
// interval (unpooled standard error). Wald is simple and adequate for the
// group sizes playbooks run at; it is too narrow when a group has very few
// conversions, which Valid does not hide: read it with the counts.
func ComputeLift(treatConv, treatN, holdConv, holdN int64) Lift {
	if treatN <= 0 || holdN <= 0 {
		return Lift{}
	}
	pt := float64(treatConv) / float64(treatN)
	ph := float64(holdConv) / float64(holdN)
	se := math.Sqrt(pt*(1-pt)/float64(treatN) + ph*(1-ph)/float64(holdN))
	l := Lift{TreatmentRate: pt, HoldoutRate: ph, Difference: pt - ph, Valid: true}
	l.Low = l.Difference - z975*se
	l.High = l.Difference + z975*se
	if ph > 0 {
		l.Relative = pt/ph - 1
	}
	return l
}
