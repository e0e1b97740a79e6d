package clv

import "time"

// ScoreModel is what scores any customer besides their own purchase days:
// the fitted parameters and the scoring settings. A Segment's snapshot keeps
// it once per run, and each member's row keeps only its ScoreInputs, so a
// refit rewrites no row. (Rows written before that carry both, hence the
// omitzero: the fields are absent from the newer rows.)
type ScoreModel struct {
	BGNBD           BGNBD         `json:"bgnbd,omitzero"`
	GammaGamma      GammaGamma    `json:"gammaGamma,omitzero"`
	Unit            time.Duration `json:"unit,omitzero"`
	HorizonMonths   int           `json:"horizonMonths,omitzero"`
	MonthlyDiscount float64       `json:"monthlyDiscount,omitzero"`
}

// IsZero says the model was never set (a row or run that scored nobody).
func (s ScoreModel) IsZero() bool { return s == ScoreModel{} }

// ScoreModel is m without its fit statistics.
func (m Model) ScoreModel() ScoreModel {
	return ScoreModel{BGNBD: m.BGNBD, GammaGamma: m.GammaGamma, Unit: m.Unit, HorizonMonths: m.HorizonMonths, MonthlyDiscount: m.MonthlyDiscount}
}

// Model is s as a scoring Model.
func (s ScoreModel) Model() Model {
	return Model{BGNBD: s.BGNBD, GammaGamma: s.GammaGamma, Unit: s.Unit, HorizonMonths: s.HorizonMonths, MonthlyDiscount: s.MonthlyDiscount}
}

// ScoreInputs are one customer's purchase days as SummaryFromDays takes
// them. Unlike a Summary they do not move with the calendar: a customer's
// P(alive) and CLV change every day with T alone, and At gives exactly what
// scoring the customer on that day gives. Days are int32 (DayNumber of any
// year up to 5 million): the metric job keeps one per buyer, a million of
// them, and 8 bytes each add up.
type ScoreInputs struct {
	Days        int32   `json:"days"`
	FirstDay    int32   `json:"firstDay"`
	LastDay     int32   `json:"lastDay"`
	RepeatSpend float64 `json:"repeatSpend"`
}

// NewScoreInputs are the inputs of a customer with days distinct purchase
// days from firstDay to lastDay (DayNumber) and repeatSpend after the first.
func NewScoreInputs(days, firstDay, lastDay int64, repeatSpend float64) ScoreInputs {
	return ScoreInputs{Days: int32(days), FirstDay: int32(firstDay), LastDay: int32(lastDay), RepeatSpend: repeatSpend}
}

// Summary is the customer's Summary with the calibration period ending on
// endDay, durations in unit.
func (in ScoreInputs) Summary(id string, endDay int64, unit time.Duration) Summary {
	return SummaryFromDays(id, int64(in.Days), int64(in.FirstDay), int64(in.LastDay), endDay, in.RepeatSpend, unit)
}

// Buyer is one customer's id and purchase days.
type Buyer struct {
	ID string
	ScoreInputs
}

// At is the churn probability (1 - P(alive)) and discounted CLV of a
// customer with these inputs, scored as of asOf.
func (s ScoreModel) At(in ScoreInputs, asOf time.Time) (churn, clv float64, err error) {
	return s.Model().Score(in.Summary("", DayNumber(asOf.UTC()), s.Unit))
}

// Score is the part of Predict a snapshot needs: the churn probability
// (1 - P(alive)) and the discounted CLV, the same numbers Predict gives
// without the figures it also computes for display.
func (m Model) Score(s Summary) (churn, clv float64, err error) {
	clv, err = LifetimeValue(m.BGNBD, m.GammaGamma, s, m.HorizonMonths, m.MonthlyDiscount, PeriodsPerMonth(m.Unit))
	if err != nil {
		return 0, 0, err
	}
	return 1 - m.BGNBD.ProbabilityAlive(s.Frequency, s.Recency, s.T), clv, nil
}
