package metrics

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
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
// A database aggregates the orders into purchase days itself (one GROUP BY),
// so memory is one summary row per buyer; files stream their orders through
// a SummaryBuilder (one entry per customer and purchase day).
func newPredictor(ctx context.Context, conn datasource.Connector, asOf time.Time, progress func(Progress)) (*predictor, error) {
	var rows []clv.Summary
	var err error
	if pd, ok := conn.(datasource.PurchaseDayScanner); ok {
		rows, err = summariesFromDays(ctx, pd, asOf, progress)
	} else {
		rows, err = summariesFromOrders(ctx, conn, asOf, progress)
	}
	if err != nil {
		return nil, err
	}
	return fitPredictor(rows, asOf)
}

// fitPredictor fits the models on rows (every buyer's summary, sorted by
// customer id: the order the likelihoods are summed in).
func fitPredictor(rows []clv.Summary, asOf time.Time) (*predictor, error) {
	model, err := fitModel(rows, asOf)
	if err != nil {
		return nil, err
	}
	return &predictor{model: model, rows: rows}, nil
}

// fitModel fits BG/NBD and Gamma-Gamma on the summary rows (a *fitError
// when the data does not allow it).
func fitModel(rows []clv.Summary, asOf time.Time) (clv.Model, error) {
	if len(rows) == 0 {
		return clv.Model{}, &fitError{fmt.Errorf("predicted CLV: no orders at or before %s to fit the model on", asOf.Format(time.RFC3339))}
	}
	model, err := clv.Fit(rows, predictUnit, predictHorizon, predictDiscount)
	if err != nil {
		return clv.Model{}, &fitError{fmt.Errorf("predicted CLV: %w", err)}
	}
	return model, nil
}

// modelOf is the scoring model of fitted parameters with the job's settings.
func modelOf(bg clv.BGNBD, gg clv.GammaGamma) clv.Model {
	return clv.Model{BGNBD: bg, GammaGamma: gg, Unit: predictUnit, HorizonMonths: predictHorizon, MonthlyDiscount: predictDiscount}
}

// summariesFromDays builds the summary rows from the database's per-customer
// purchase days, sorted by customer id for predict's binary search.
func summariesFromDays(ctx context.Context, pd datasource.PurchaseDayScanner, asOf time.Time, progress func(Progress)) ([]clv.Summary, error) {
	endDay := clv.DayNumber(asOf.UTC())
	var rows []clv.Summary
	err := pd.ScanPurchaseDays(ctx, asOf, func(p *datasource.PurchaseDays) error {
		rows = append(rows, clv.SummaryFromDays(strings.Clone(p.CustomerID), p.Days, p.FirstDay, p.LastDay, endDay, p.RepeatSpend, predictUnit))
		if len(rows)%ProgressEvery == 0 {
			progress(Progress{Stage: "predictions", Rows: int64(len(rows))})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(rows, func(a, b clv.Summary) int { return strings.Compare(a.CustomerID, b.CustomerID) })
	return slices.Clip(rows), nil
}

// summariesFromOrders streams every order at or before asOf into a
// SummaryBuilder (files, which cannot aggregate).
func summariesFromOrders(ctx context.Context, conn datasource.Connector, asOf time.Time, progress func(Progress)) ([]clv.Summary, error) {
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
	return b.Rows(), nil // sorted by customer id
}

// fitError is a model that could not be fitted to the data (as opposed to
// data that could not be read).
type fitError struct{ err error }

func (e *fitError) Error() string { return e.err.Error() }
func (e *fitError) Unwrap() error { return e.err }
