package metrics

import (
	"context"
	"fmt"
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

// prediction is what the model says about one customer, held for every
// buyer while the features stream.
type prediction struct {
	churn, clv float64
}

// predictions fits BG/NBD and Gamma-Gamma on every customer's orders up to
// asOf (the whole base, so that a small segment still gets a stable fit) and
// scores each buyer: churnProbability = 1 - P(alive | x, t_x, T), predictedCLV
// the discounted 12-month CLV. Customers who never ordered get no entry and
// keep zeros. Memory is one SummaryBuilder entry per customer and purchase
// day, then one prediction per buyer.
func predictions(ctx context.Context, conn datasource.Connector, asOf time.Time, progress func(Progress)) (map[string]prediction, error) {
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
	rows := b.Rows()
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
	out := make(map[string]prediction, len(rows))
	for _, s := range rows {
		p, err := model.Predict(s)
		if err != nil {
			return nil, fmt.Errorf("predicted CLV: %w", err)
		}
		out[s.CustomerID] = prediction{churn: 1 - p.ProbabilityAlive, clv: p.CLV}
	}
	return out, nil
}

// fitError is a model that could not be fitted to the data (as opposed to
// data that could not be read).
type fitError struct{ err error }

func (e *fitError) Error() string { return e.err.Error() }
func (e *fitError) Unwrap() error { return e.err }
