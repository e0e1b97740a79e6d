package metrics

import (
	"context"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
)

// activityQuery is what the database aggregates for a: per customer, an order
// in [activeFrom, start) and the months with an order from cohortFrom to AsOf.
// With instants in the data at most nanosecond-precise,
//
//	activeFrom <= t < start  <=>  AsOf - 2W < t <= AsOf - W
//
// because activeFrom = AsOf - 2W + 1ns and start = AsOf - W + 1ns. ok is
// false when the cohort range has more months than one row carries.
func (a *activity) activityQuery(asOf time.Time) (q datasource.ActivityQuery, ok bool) {
	window := a.end.Sub(a.start)
	q = datasource.ActivityQuery{Since: a.since(), AsOf: asOf,
		ActiveAfter: asOf.Add(-2 * window), ActiveUntil: asOf.Add(-window)}
	if a.cohort != nil {
		q.MonthsFrom = a.cohortFrom
		q.Months = monthsBetween(a.cohortFrom, asOf) + 1
	}
	return q, q.Months <= datasource.MaxActivityMonths
}

// monthsBetween counts UTC calendar months from a's month to b's.
func monthsBetween(a, b time.Time) int {
	a, b = a.UTC(), b.UTC()
	return (b.Year()*12 + int(b.Month())) - (a.Year()*12 + int(a.Month()))
}

// addActivity folds one customer's aggregated activity in, as addOrder does
// for each of its orders: a month bit stands for the orders of that month,
// and the cohort builder reads only an order's month.
func (a *activity) addActivity(o *datasource.OrderActivity) {
	flags, member := a.members[o.CustomerID]
	if !member {
		return
	}
	if o.Active {
		a.members[o.CustomerID] = flags | activeStart
	}
	if a.cohort == nil || o.Months == 0 {
		return
	}
	first := a.cohortFrom.UTC()
	for k := range datasource.MaxActivityMonths {
		if o.Months&(1<<k) != 0 {
			at := time.Date(first.Year(), first.Month()+time.Month(k), 1, 0, 0, 0, 0, time.UTC)
			a.cohort.Add(customer.Order{CustomerID: o.CustomerID, OccurredAt: at})
		}
	}
}

// oneScanActivity is the activity query to ask for in the features scan
// itself, when the run needs activity and the connector can return it there
// (see datasource.FeatureActivityScanner).
func (r *run) oneScanActivity(conn datasource.Connector) (datasource.ActivityQuery, bool) {
	if r.act == nil {
		return datasource.ActivityQuery{}, false
	}
	if _, ok := conn.(datasource.FeatureActivityScanner); !ok {
		return datasource.ActivityQuery{}, false
	}
	return r.act.activityQuery(r.now)
}

// fillActivity aggregates the orders the activity needs in the database when
// the connector can, else streams them.
func (r *run) fillActivity(ctx context.Context, conn datasource.Connector) error {
	if as, ok := conn.(datasource.OrderActivityScanner); ok {
		if q, fits := r.act.activityQuery(r.now); fits {
			var n int64
			return as.ScanOrderActivity(ctx, q, func(o *datasource.OrderActivity) error {
				n++
				if n%ProgressEvery == 0 {
					r.progress(Progress{Stage: "orders", Rows: n})
				}
				r.act.addActivity(o)
				return nil
			})
		}
	}
	var orders int64
	return conn.ScanOrders(ctx, r.act.since(), func(o *customer.Order) error {
		orders++
		if orders%ProgressEvery == 0 {
			r.progress(Progress{Stage: "orders", Rows: orders})
		}
		r.act.addOrder(o)
		return nil
	})
}
