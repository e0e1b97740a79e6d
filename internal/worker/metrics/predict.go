package metrics

import (
	"context"
	"fmt"
	"slices"
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
// purchase days (or, for a sharded run's merged parts, summary rows), sorted
// by id (a slice searched in O(log n), lighter than a map). Scoring lazily
// means that when only the predictedCLV metric is asked for, just the
// members are scored, not every buyer.
type predictor struct {
	model  clv.Model
	endDay int64 // the day T is counted to: the run's
	buyers buyers
	rows   []clv.Summary // instead of buyers: a sharded run's merged parts
}

// inputs are id's purchase days (nil for a customer who never bought, or
// when p holds summary rows).
func (p *predictor) inputs(id string) *clv.ScoreInputs {
	if i := p.buyers.index(id); i >= 0 {
		return &p.buyers.inputs[i]
	}
	return nil
}

// summary is id's summary row as of the run; ok is false for a customer who
// never bought.
func (p *predictor) summary(id string) (clv.Summary, bool) {
	if p.rows != nil {
		i, ok := slices.BinarySearchFunc(p.rows, id, func(s clv.Summary, id string) int { return strings.Compare(s.CustomerID, id) })
		if !ok {
			return clv.Summary{}, false
		}
		return p.rows[i], true
	}
	i := p.buyers.index(id)
	if i < 0 {
		return clv.Summary{}, false
	}
	return p.buyers.inputs[i].Summary(id, p.endDay, predictUnit), true
}

// predict fills f's ChurnProbability = 1 - P(alive | x, t_x, T) and
// PredictedCLV (discounted 12-month CLV). Customers who never ordered keep
// zeros: the model says nothing about them.
func (p *predictor) predict(f *customer.Features) error {
	s, ok := p.summary(f.ID)
	if !ok {
		f.ChurnProbability, f.PredictedCLV = 0, 0
		return nil
	}
	churn, value, err := p.model.Score(s)
	if err != nil {
		return fmt.Errorf("predicted CLV: %w", err)
	}
	f.ChurnProbability, f.PredictedCLV = churn, value
	return nil
}

// newPredictor fits BG/NBD and Gamma-Gamma on every customer's orders up to
// asOf (the whole base, so that a small segment still gets a stable fit).
func newPredictor(ctx context.Context, conn datasource.Connector, asOf time.Time, progress func(Progress)) (*predictor, error) {
	buyers, err := loadBuyers(ctx, conn, asOf, progress)
	if err != nil {
		return nil, err
	}
	return fitBuyers(buyers, asOf)
}

// loadBuyers reads every buyer's purchase days up to asOf, sorted by id. A
// database aggregates the orders into purchase days itself (one GROUP BY),
// so memory is one row per buyer; files stream their orders through a
// SummaryBuilder (one entry per customer and purchase day).
func loadBuyers(ctx context.Context, conn datasource.Connector, asOf time.Time, progress func(Progress)) (buyers, error) {
	if pd, ok := conn.(datasource.PurchaseDayScanner); ok {
		return buyersFromDays(ctx, pd, asOf, progress)
	}
	b, err := buyerOrders(ctx, conn, asOf, progress)
	if err != nil {
		return buyers{}, err
	}
	return buyersOf(b.Buyers()), nil
}

// fitBuyers fits the models on buyers (sorted by id: the order the
// likelihoods are summed in) as of asOf.
func fitBuyers(buyers buyers, asOf time.Time) (*predictor, error) {
	model, err := fitModel(buyerRows(buyers, asOf), asOf)
	if err != nil {
		return nil, err
	}
	return &predictor{model: model, endDay: clv.DayNumber(asOf.UTC()), buyers: buyers}, nil
}

// buyerRows are the buyers' summary rows as of asOf, derived as the fit
// reads them: no slice of them is kept (48 MB for a million buyers), as
// scoring derives a member's from its purchase days too.
func buyerRows(buyers buyers, asOf time.Time) clv.Rows {
	endDay := clv.DayNumber(asOf.UTC())
	return clv.Rows{N: buyers.len(), At: func(i int) clv.Summary {
		return buyers.inputs[i].Summary("", endDay, predictUnit) // the fit reads no id
	}}
}

// summariesOf are the buyers' summary rows as of asOf, in their order.
func summariesOf(buyers buyers, asOf time.Time) []clv.Summary {
	endDay := clv.DayNumber(asOf.UTC())
	rows := make([]clv.Summary, buyers.len())
	for i, in := range buyers.inputs {
		rows[i] = in.Summary(buyers.ids.ID(i), endDay, predictUnit)
	}
	return rows
}

// fitPredictor fits the models on summary rows (a sharded run's merged
// parts, sorted by customer id).
func fitPredictor(rows []clv.Summary, asOf time.Time) (*predictor, error) {
	model, err := fitModel(clv.RowsOf(rows), asOf)
	if err != nil {
		return nil, err
	}
	return &predictor{model: model, endDay: clv.DayNumber(asOf.UTC()), rows: rows}, nil
}

// fitModel fits BG/NBD and Gamma-Gamma on the summary rows (a *fitError
// when the data does not allow it).
func fitModel(rows clv.Rows, asOf time.Time) (clv.Model, error) {
	if rows.N == 0 {
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

// buyersFromDays reads the database's per-customer purchase days, sorted by
// customer id.
func buyersFromDays(ctx context.Context, pd datasource.PurchaseDayScanner, asOf time.Time, progress func(Progress)) (buyers, error) {
	var bb buyersBuilder
	err := pd.ScanPurchaseDays(ctx, asOf, func(p *datasource.PurchaseDays) error {
		bb.add(p.CustomerID, scoreInputs(*p)) // the id's bytes are copied
		if n := len(bb.inputs); n%ProgressEvery == 0 {
			progress(Progress{Stage: "predictions", Rows: int64(n)})
		}
		return nil
	})
	if err != nil {
		return buyers{}, err
	}
	return bb.sorted(), nil
}

// buyerOrders streams every order at or before asOf into a SummaryBuilder
// (files, which cannot aggregate).
func buyerOrders(ctx context.Context, conn datasource.Connector, asOf time.Time, progress func(Progress)) (*clv.SummaryBuilder, error) {
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
	return b, nil
}

// fitError is a model that could not be fitted to the data (as opposed to
// data that could not be read).
type fitError struct{ err error }

func (e *fitError) Error() string { return e.err.Error() }
func (e *fitError) Unwrap() error { return e.err }
