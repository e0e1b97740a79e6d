package metrics

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
)

// CLV model settings: weekly periods and lifetimes' defaults (12 months at
// 1% a month), as the metrics package uses.
const (
	predictUnit     = 7 * 24 * time.Hour
	predictHorizon  = 12
	predictDiscount = 0.01
)

// predictor scores customers on demand: the fitted models and every buyer's
// summary row, sorted by id (a slice searched in O(log n), lighter than a map).
// Scoring lazily means that when only the predictedCLV metric is asked for,
// just the members are scored, not every buyer.
type predictor struct {
	model clv.Model
	rows  []clv.Summary
}

// predict fills f's ChurnProbability = 1 - P(alive | x, t_x, T) and
// PredictedCLV (discounted 12-month CLV). Customers who never ordered keep
// zeros: the model says nothing about them.
func (p *predictor) predict(f *customer.Features) error {
	i := sort.Search(len(p.rows), func(i int) bool { return p.rows[i].CustomerID >= f.ID })
	if i == len(p.rows) || p.rows[i].CustomerID != f.ID {
		f.ChurnProbability, f.PredictedCLV = 0, 0
		return nil
	}
	pr, err := p.model.Predict(p.rows[i])
	if err != nil {
		return fmt.Errorf("predicted CLV: %w", err)
	}
	f.ChurnProbability, f.PredictedCLV = 1-pr.ProbabilityAlive, pr.CLV
	return nil
}

// newPredictor fits BG/NBD and Gamma-Gamma on every customer's orders up to
// asOf (the whole base, so that a small segment still gets a stable fit).
// Memory is one SummaryBuilder entry per customer and purchase day while the
// orders stream, then one summary row per buyer.
func newPredictor(ctx context.Context, conn datasource.Connector, asOf time.Time, progress func(Progress)) (*predictor, error) {
	b, err := clv.NewSummaryBuilder(asOf, predictUnit)
	if err != nil {
		return nil, fmt.Errorf("predicted CLV: %w", err)
	}
	var n int64
	if err := conn.ScanOrders(ctx, time.Time{}, func(o *customer.Order) error {
		if o.OccurredAt.After(asOf) {
			return nil
		}
		b.Add(*o)
		n++
		if n%ProgressEvery == 0 {
			progress(Progress{Stage: "predictions", Rows: n})
		}
		return nil
	}); err != nil {
		return nil, err
	}
	rows := b.Rows() // sorted by customer id
	if len(rows) == 0 {
		return nil, &fitError{fmt.Errorf("predicted CLV: no orders at or before %s to fit the model on", asOf.Format(time.RFC3339))}
	}
	bg, _, err := clv.FitBGNBD(rows)
	if err != nil {
		return nil, &fitError{fmt.Errorf("predicted CLV: BG/NBD fit over %d customers: %w", len(rows), err)}
	}
	gg, _, _, err := clv.FitGammaGamma(rows)
	if err != nil {
		return nil, &fitError{fmt.Errorf("predicted CLV: Gamma-Gamma fit over %d customers: %w", len(rows), err)}
	}
	model := clv.Model{BGNBD: bg, GammaGamma: gg, Unit: predictUnit, HorizonMonths: predictHorizon, MonthlyDiscount: predictDiscount}
	return &predictor{model: model, rows: rows}, nil
}

// fitError is a model that could not be fitted to the data (as opposed to
// data that could not be read).
type fitError struct{ err error }

func (e *fitError) Error() string { return e.err.Error() }
func (e *fitError) Unwrap() error { return e.err }
