package clv

import (
	"fmt"
	"time"
)

// Model bundles fitted BG/NBD and Gamma-Gamma models with the time unit and
// CLV settings needed to score customers.
type Model struct {
	BGNBD      BGNBD
	GammaGamma GammaGamma
	// BGNBDStats and GammaGammaStats describe the fits (log-likelihood etc.).
	BGNBDStats, GammaGammaStats FitStats
	Unit                        time.Duration
	// HorizonMonths and MonthlyDiscount parameterise LifetimeValue.
	HorizonMonths   int
	MonthlyDiscount float64
}

// Prediction is one customer's model output.
type Prediction struct {
	CustomerID string
	// ProbabilityAlive is P(alive | x, t_x, T); ChurnProbability = 1 - it.
	ProbabilityAlive float64
	// ExpectedPurchasesNextMonth is E[Y(t)|x,t_x,T] for one month of units.
	ExpectedPurchasesNextMonth float64
	// ExpectedAverageValue is the Gamma-Gamma E[Z|x,m].
	ExpectedAverageValue float64
	// CLV is the discounted lifetime value over HorizonMonths.
	CLV float64
}

// Rows are N summary rows given by At(i), for a caller that derives them
// on the fly instead of keeping a slice (a million buyers' rows are 48 MB).
type Rows struct {
	N  int
	At func(i int) Summary
}

// RowsOf is a slice as Rows.
func RowsOf(rows []Summary) Rows {
	return Rows{N: len(rows), At: func(i int) Summary { return rows[i] }}
}

// Fit fits both models on rows (summaries with durations in unit). horizonMonths
// and monthlyDiscount are stored for Predict (lifetimes' defaults are 12 and
// 0.01). Errors name the model and how many customers it was fitted over.
func Fit(rows Rows, unit time.Duration, horizonMonths int, monthlyDiscount float64) (Model, error) {
	if err := checkCLVSettings(horizonMonths, monthlyDiscount, PeriodsPerMonth(unit)); err != nil {
		return Model{}, err
	}
	bg, bgStats, err := fitBGNBD(rows)
	if err != nil {
		return Model{}, fmt.Errorf("BG/NBD fit over %d customers: %w", rows.N, err)
	}
	gg, ggStats, _, err := fitGammaGamma(rows)
	if err != nil {
		return Model{}, fmt.Errorf("Gamma-Gamma fit over %d customers: %w", rows.N, err)
	}
	return Model{BGNBD: bg, GammaGamma: gg, BGNBDStats: bgStats, GammaGammaStats: ggStats, Unit: unit,
		HorizonMonths: horizonMonths, MonthlyDiscount: monthlyDiscount}, nil
}

// Predict scores one customer's summary row.
func (m Model) Predict(s Summary) (Prediction, error) {
	perMonth := PeriodsPerMonth(m.Unit)
	clv, err := LifetimeValue(m.BGNBD, m.GammaGamma, s, m.HorizonMonths, m.MonthlyDiscount, perMonth)
	if err != nil {
		return Prediction{}, err
	}
	return Prediction{
		CustomerID:                 s.CustomerID,
		ProbabilityAlive:           m.BGNBD.ProbabilityAlive(s.Frequency, s.Recency, s.T),
		ExpectedPurchasesNextMonth: m.BGNBD.ConditionalExpectedPurchases(perMonth, s.Frequency, s.Recency, s.T),
		ExpectedAverageValue:       m.GammaGamma.ConditionalExpectedAverageProfit(s.Frequency, s.Monetary),
		CLV:                        clv,
	}, nil
}
