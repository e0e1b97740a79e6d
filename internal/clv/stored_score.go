package clv

import "time"

// StoredScore is one customer's score in a form a stored row can carry and
// recompute for a later day without the data: the fitted parameters, the
// scoring settings and the customer's purchase days. A customer's
// P(alive) and CLV move every day with T alone; a row that keeps this
// instead of the two numbers stays the same from day to day, and At gives
// exactly what scoring the customer on that day would.
type StoredScore struct {
	BGNBD           BGNBD         `json:"bgnbd"`
	GammaGamma      GammaGamma    `json:"gammaGamma"`
	Unit            time.Duration `json:"unit"`
	HorizonMonths   int           `json:"horizonMonths"`
	MonthlyDiscount float64       `json:"monthlyDiscount"`
	// The purchase days as SummaryFromDays takes them.
	Days        int64   `json:"days"`
	FirstDay    int64   `json:"firstDay"`
	LastDay     int64   `json:"lastDay"`
	RepeatSpend float64 `json:"repeatSpend"`
}

// At is the customer's churn probability (1 - P(alive)) and discounted CLV
// scored as of asOf.
func (s StoredScore) At(asOf time.Time) (churn, clv float64, err error) {
	m := Model{BGNBD: s.BGNBD, GammaGamma: s.GammaGamma, Unit: s.Unit, HorizonMonths: s.HorizonMonths, MonthlyDiscount: s.MonthlyDiscount}
	p, err := m.Predict(SummaryFromDays("", s.Days, s.FirstDay, s.LastDay, DayNumber(asOf.UTC()), s.RepeatSpend, s.Unit))
	if err != nil {
		return 0, 0, err
	}
	return 1 - p.ProbabilityAlive, p.CLV, nil
}
