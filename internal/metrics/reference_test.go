package metrics

// The in-memory reference computation of every metric: each takes plain
// orders, feedback and feature rows and states its formula. The metric job
// (internal/worker/metrics) computes the same figures from the data source's
// aggregates with RetentionRate, RepeatPurchaseRate, CohortBuilder, ...; these
// references are what the tests of this package check the formulas with.

import (
	"errors"
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/customer"
)

// Input is what a metric job has at hand. Everything is optional except the
// window; metrics that lack their data are reported in Result.Unavailable.
type Input struct {
	// WindowStart and WindowEnd bound the half-open window [start, end).
	WindowStart, WindowEnd time.Time
	// ActivityLookback defines "active" for retention and churn (an order in
	// the lookback before the window's start/end); 0 means the window length.
	ActivityLookback time.Duration
	// Members are the segment's feature rows. When given, they define the
	// population: orders and feedback of other customers are ignored.
	Members []customer.Features
	// Orders are the population's orders, including history before the
	// window (needed to tell new customers and cohorts apart).
	Orders []customer.Order
	// Feedback are NPS answers; without them NPS uses Members' NPS field.
	Feedback []customer.Feedback
	// PredictCLVMonths is the CLV horizon when the members carry no
	// PredictedCLV and it has to be fitted from Orders; 0 means 12.
	PredictCLVMonths int
	// MonthlyDiscountRate for the predicted CLV; 0 means 0.01 (1% a month).
	MonthlyDiscountRate float64
}

// Result holds every metric Compute could compute. A metric missing from
// Map() is listed in Unavailable with the reason.
type Result struct {
	RetentionRate      float64
	ChurnRate          float64
	RepeatPurchaseRate float64
	PurchaseFrequency  float64
	AverageOrderValue  float64
	HistoricalCLV      float64
	PredictedCLV       float64
	NPS                float64
	CohortRetention    CohortMatrix

	// Retention and Purchases are the counts behind the rates.
	Retention RetentionCounts
	Purchases PurchaseCounts

	computed map[string]bool
	// Unavailable maps a metric name to why it could not be computed.
	Unavailable map[string]string
}

// Map returns the computed metrics keyed by name (float64 values, and a
// CohortMatrix for cohortRetention), for a worker to pick the requested ones.
func (r Result) Map() map[string]any {
	all := map[string]any{
		MetricRetentionRate:      r.RetentionRate,
		MetricChurnRate:          r.ChurnRate,
		MetricRepeatPurchaseRate: r.RepeatPurchaseRate,
		MetricPurchaseFrequency:  r.PurchaseFrequency,
		MetricAverageOrderValue:  r.AverageOrderValue,
		MetricHistoricalCLV:      r.HistoricalCLV,
		MetricPredictedCLV:       r.PredictedCLV,
		MetricNPS:                r.NPS,
		MetricCohortRetention:    r.CohortRetention,
	}
	out := make(map[string]any, len(r.computed))
	for name := range r.computed {
		out[name] = all[name]
	}
	return out
}

// Has reports whether the named metric was computed.
func (r Result) Has(name string) bool { return r.computed[name] }

func (r *Result) set(name string, ok bool, reason string) {
	if ok {
		r.computed[name] = true
		return
	}
	r.Unavailable[name] = reason
}

// Compute computes every metric it has data for. Orders drive the
// order-based metrics; without orders, purchase metrics fall back to the
// members' WindowOrders/WindowSpend/Monetary fields. It fails only on an
// invalid window.
func Compute(in Input) (Result, error) {
	if in.WindowStart.IsZero() || in.WindowEnd.IsZero() || !in.WindowEnd.After(in.WindowStart) {
		return Result{}, fmt.Errorf("metric window [%s, %s) is empty or unset: windowEnd must be after windowStart",
			in.WindowStart.Format(time.RFC3339), in.WindowEnd.Format(time.RFC3339))
	}
	r := Result{computed: map[string]bool{}, Unavailable: map[string]string{}}
	orders, feedback := in.Orders, in.Feedback
	if len(in.Members) > 0 {
		ids := make(map[string]struct{}, len(in.Members))
		for _, m := range in.Members {
			ids[m.ID] = struct{}{}
		}
		orders = filterByCustomer(orders, ids, func(o customer.Order) string { return o.CustomerID })
		feedback = filterByCustomer(feedback, ids, func(f customer.Feedback) string { return f.CustomerID })
	}

	if len(orders) > 0 {
		computeFromOrders(&r, in, orders)
	} else {
		computeFromFeatures(&r, in.Members)
	}

	if len(feedback) > 0 {
		v, ok := NPS(feedback, in.WindowEnd)
		r.NPS = v
		r.set(MetricNPS, ok, "no valid feedback before the window end")
	} else {
		scores := make([]int, len(in.Members))
		for i, m := range in.Members {
			scores[i] = int(m.NPS)
		}
		v, ok := NPSFromScores(scores)
		r.NPS = v
		r.set(MetricNPS, ok, "no feedback and no member with an NPS answer")
	}

	v, err := predictedCLV(in, orders)
	r.PredictedCLV = v
	reason := ""
	if err != nil {
		reason = err.Error()
	}
	r.set(MetricPredictedCLV, err == nil, reason)
	return r, nil
}

func computeFromOrders(r *Result, in Input, orders []customer.Order) {
	r.Retention = CountRetention(orders, in.WindowStart, in.WindowEnd, in.ActivityLookback)
	const noStart = "no customer was active at the window start"
	v, ok := RetentionRate(r.Retention)
	r.RetentionRate = v
	r.set(MetricRetentionRate, ok, noStart)
	v, ok = ChurnRate(r.Retention)
	r.ChurnRate = v
	r.set(MetricChurnRate, ok, noStart)

	r.Purchases = CountPurchases(orders, in.WindowStart, in.WindowEnd)
	v, ok = RepeatPurchaseRate(r.Purchases)
	r.RepeatPurchaseRate = v
	r.set(MetricRepeatPurchaseRate, ok, "no orders in the window")
	v, ok = PurchaseFrequency(r.Purchases)
	r.PurchaseFrequency = v
	r.set(MetricPurchaseFrequency, ok, "no orders in the window")
	v, ok = AverageOrderValue(r.Purchases)
	r.AverageOrderValue = v
	r.set(MetricAverageOrderValue, ok, "no orders in the window")
	v, ok = HistoricalCLV(orders, in.WindowEnd)
	r.HistoricalCLV = v
	r.set(MetricHistoricalCLV, ok, "no orders before the window end")

	b, err := NewCohortBuilder(in.WindowStart, in.WindowEnd.Add(-time.Nanosecond))
	if err != nil {
		r.set(MetricCohortRetention, false, err.Error())
		return
	}
	for _, o := range orders {
		if o.OccurredAt.Before(in.WindowEnd) {
			b.Add(o)
		}
	}
	r.CohortRetention = b.Matrix()
	r.set(MetricCohortRetention, true, "")
}

// computeFromFeatures fills the purchase metrics from feature rows:
// repeat rate = members with WindowOrders > 1 / members with WindowOrders >= 1,
// frequency = Σ WindowOrders / members with WindowOrders >= 1,
// AOV = Σ WindowSpend / Σ WindowOrders, historical CLV = Σ Monetary / members
// with Frequency >= 1. Retention, churn and cohorts need order dates.
func computeFromFeatures(r *Result, members []customer.Features) {
	var c PurchaseCounts
	var lifetimeSpend float64
	var lifetimeCustomers int
	for _, m := range members {
		if m.WindowOrders >= 1 {
			c.Customers++
			if m.WindowOrders > 1 {
				c.RepeatCustomers++
			}
		}
		c.Orders += int(m.WindowOrders)
		c.Revenue += m.WindowSpend
		if m.Frequency >= 1 {
			lifetimeCustomers++
			lifetimeSpend += m.Monetary
		}
	}
	r.Purchases = c
	const noWindow = "no orders given and no member ordered in the segment window"
	v, ok := RepeatPurchaseRate(c)
	r.RepeatPurchaseRate = v
	r.set(MetricRepeatPurchaseRate, ok, noWindow)
	v, ok = PurchaseFrequency(c)
	r.PurchaseFrequency = v
	r.set(MetricPurchaseFrequency, ok, noWindow)
	v, ok = AverageOrderValue(c)
	r.AverageOrderValue = v
	r.set(MetricAverageOrderValue, ok, noWindow)
	if lifetimeCustomers > 0 {
		r.HistoricalCLV = lifetimeSpend / float64(lifetimeCustomers)
	}
	r.set(MetricHistoricalCLV, lifetimeCustomers > 0, "no orders given and no member has ever ordered")
	const needOrders = "needs orders with dates; the feature rows alone cannot say who was active at the window start"
	r.set(MetricRetentionRate, false, needOrders)
	r.set(MetricChurnRate, false, needOrders)
	r.set(MetricCohortRetention, false, "needs orders with dates")
}

// predictedCLV is the mean PredictedCLV of the members when the segment
// computed it (any non-zero value), otherwise the mean over the customers in
// orders of clv.LifetimeValue from BG/NBD and Gamma-Gamma fitted on the
// orders before the window end (weekly units).
func predictedCLV(in Input, orders []customer.Order) (float64, error) {
	var sum float64
	var anyPredicted bool
	for _, m := range in.Members {
		sum += m.PredictedCLV
		anyPredicted = anyPredicted || m.PredictedCLV != 0
	}
	if anyPredicted {
		return sum / float64(len(in.Members)), nil
	}
	if len(orders) == 0 {
		return 0, errors.New("no orders to fit a CLV model on and no member carries a predicted CLV")
	}
	months, discount := in.PredictCLVMonths, in.MonthlyDiscountRate
	if months <= 0 {
		months = 12
	}
	if discount == 0 {
		discount = 0.01
	}
	// The summary's calibration end is inclusive of its day; the window is
	// half-open, so end on the last instant inside it.
	model, rows, err := fitOrders(orders, in.WindowEnd.Add(-time.Nanosecond), months, discount)
	if err != nil {
		return 0, err
	}
	sum = 0
	for _, s := range rows {
		p, err := model.Predict(s)
		if err != nil {
			return 0, err
		}
		sum += p.CLV
	}
	return sum / float64(len(rows)), nil
}

// fitOrders summarises orders up to calibrationEnd's day in weeks and fits
// BG/NBD and Gamma-Gamma on the summaries.
func fitOrders(orders []customer.Order, calibrationEnd time.Time, months int, discount float64) (clv.Model, []clv.Summary, error) {
	const week = 7 * 24 * time.Hour
	b, err := clv.NewSummaryBuilder(calibrationEnd, week)
	if err != nil {
		return clv.Model{}, nil, err
	}
	for _, o := range orders {
		b.Add(o)
	}
	rows := b.Rows()
	model, err := clv.Fit(clv.RowsOf(rows), week, months, discount)
	return model, rows, err
}

// filterByCustomer keeps the rows whose customer (customerOf) is in ids.
func filterByCustomer[T any](rows []T, ids map[string]struct{}, customerOf func(T) string) []T {
	out := make([]T, 0, len(rows))
	for _, row := range rows {
		if _, ok := ids[customerOf(row)]; ok {
			out = append(out, row)
		}
	}
	return out
}

// NPS is the Net Promoter Score over each customer's latest answer before end:
//
//	NPS = (promoters - detractors) / respondents · 100
//
// with promoters scoring 9-10, detractors 0-6 and passives (7-8) counting only
// in the denominator. Scores outside 0..10 are ignored as invalid. ok is false
// when nobody answered.
func NPS(feedback []customer.Feedback, end time.Time) (score float64, ok bool) {
	type answer struct {
		at    time.Time
		score int
	}
	latest := make(map[string]answer)
	for _, f := range feedback {
		if f.Score < 0 || f.Score > 10 || !f.OccurredAt.Before(end) {
			continue
		}
		if prev, seen := latest[f.CustomerID]; !seen || f.OccurredAt.After(prev.at) {
			latest[f.CustomerID] = answer{f.OccurredAt, f.Score}
		}
	}
	scores := make([]int, 0, len(latest))
	for _, a := range latest {
		scores = append(scores, a.score)
	}
	return NPSFromScores(scores)
}

// NPSFromScores is NPS over one score per respondent (e.g. the feature rows'
// last answer); negative scores mean "never answered" and are skipped.
func NPSFromScores(scores []int) (score float64, ok bool) {
	var promoters, detractors, respondents int
	for _, s := range scores {
		if s < 0 || s > 10 {
			continue
		}
		respondents++
		switch {
		case s >= 9:
			promoters++
		case s <= 6:
			detractors++
		}
	}
	if respondents == 0 {
		return 0, false
	}
	return float64(promoters-detractors) / float64(respondents) * 100, true
}

// CountPurchases counts orders with start <= OccurredAt < end.
func CountPurchases(orders []customer.Order, start, end time.Time) PurchaseCounts {
	perCustomer := make(map[string]int)
	var c PurchaseCounts
	for _, o := range orders {
		if o.OccurredAt.Before(start) || !o.OccurredAt.Before(end) {
			continue
		}
		perCustomer[o.CustomerID]++
		c.Orders++
		c.Revenue += o.Amount
	}
	c.Customers = len(perCustomer)
	for _, n := range perCustomer {
		if n > 1 {
			c.RepeatCustomers++
		}
	}
	return c
}

// HistoricalCLV is the realised lifetime value to date: the mean total spend
// per customer over all orders placed before end,
//
//	historical CLV = Σ amounts of orders before end / customers with an order before end
//
// (equivalently AOV × purchase frequency over each customer's whole history).
// It looks at the whole history, not only the window, because lifetime value
// accrues from the first order. ok is false without customers.
func HistoricalCLV(orders []customer.Order, end time.Time) (clv float64, ok bool) {
	customers := make(map[string]struct{})
	var revenue float64
	for _, o := range orders {
		if !o.OccurredAt.Before(end) {
			continue
		}
		customers[o.CustomerID] = struct{}{}
		revenue += o.Amount
	}
	if len(customers) == 0 {
		return 0, false
	}
	return revenue / float64(len(customers)), true
}

// CountRetention derives RetentionCounts from orders. lookback <= 0 means the
// window length, which makes "active" period-over-period: ordered in the
// previous period (start) versus in this one (end). Orders before
// start-lookback are still used to decide who is new, so pass the customers'
// history, not only the window.
func CountRetention(orders []customer.Order, start, end time.Time, lookback time.Duration) RetentionCounts {
	if lookback <= 0 {
		lookback = end.Sub(start)
	}
	startFrom, endFrom := start.Add(-lookback), end.Add(-lookback)
	type state struct {
		first                  time.Time
		activeStart, activeEnd bool
	}
	byCustomer := make(map[string]*state)
	for _, o := range orders {
		if !o.OccurredAt.Before(end) {
			continue // after the window: unknown at its end
		}
		s := byCustomer[o.CustomerID]
		if s == nil {
			s = &state{first: o.OccurredAt}
			byCustomer[o.CustomerID] = s
		}
		if o.OccurredAt.Before(s.first) {
			s.first = o.OccurredAt
		}
		at := o.OccurredAt
		if !at.Before(startFrom) && at.Before(start) {
			s.activeStart = true
		}
		if !at.Before(endFrom) {
			s.activeEnd = true
		}
	}
	var c RetentionCounts
	for _, s := range byCustomer {
		if s.activeStart {
			c.Start++
			if !s.activeEnd {
				c.Lost++
			}
		}
		if s.activeEnd {
			c.End++
			if !s.first.Before(start) {
				c.New++
			}
		}
	}
	return c
}

// CohortRetention builds the monthly cohort matrix of orders over the months
// from..to; see CohortMatrix for the definition.
func CohortRetention(orders []customer.Order, from, to time.Time) (CohortMatrix, error) {
	b, err := NewCohortBuilder(from, to)
	if err != nil {
		return CohortMatrix{}, err
	}
	for _, o := range orders {
		b.Add(o)
	}
	return b.Matrix(), nil
}
