package metrics

import (
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/metrics"
)

// totals fold the members' feature rows into the sums the feature-based
// metrics need, so no row is kept. Over members m (window = spec.window
// ending at AsOf):
//
//	repeat purchase rate = |{m : windowOrders > 1}| / |{m : windowOrders >= 1}| · 100
//	purchase frequency   = Σ windowOrders / |{m : windowOrders >= 1}|
//	average order value  = Σ windowSpend / Σ windowOrders
//	historical CLV       = Σ monetary / |{m : frequency >= 1}|
//	NPS                  = (promoters - detractors) / respondents · 100 over each member's latest answer
//	predicted CLV        = Σ predictedCLV / members
//
// which are the formulas of the metrics package applied to the same rows.
// The money sums are exact (exactSum): they do not depend on the order the
// source returns rows in, so a sharded run, which adds the shards' partial
// sums, gives the same figures to the bit as one pod.
type totals struct {
	members   int64
	purchases metrics.PurchaseCounts // Revenue is left 0: see revenue
	revenue   exactSum               // Σ windowSpend
	// lifetime spend and buyers for historical CLV.
	lifetimeSpend  exactSum
	lifetimeBuyers int64
	npsScores      npsCounts
	predictedCLV   exactSum
}

// npsCounts tallies NPS answers without keeping them.
type npsCounts struct{ promoters, detractors, respondents int64 }

func (n *npsCounts) add(score int64) {
	if score < 0 || score > 10 {
		return // -1: never answered
	}
	n.respondents++
	switch {
	case score >= 9:
		n.promoters++
	case score <= 6:
		n.detractors++
	}
}

func (n npsCounts) score() (float64, bool) {
	if n.respondents == 0 {
		return 0, false
	}
	return float64(n.promoters-n.detractors) / float64(n.respondents) * 100, true
}

func (t *totals) add(f *customer.Features) {
	t.members++
	if f.WindowOrders >= 1 {
		t.purchases.Customers++
		if f.WindowOrders > 1 {
			t.purchases.RepeatCustomers++
		}
	}
	t.purchases.Orders += int(f.WindowOrders)
	t.revenue.add(f.WindowSpend)
	if f.Frequency >= 1 {
		t.lifetimeBuyers++
		t.lifetimeSpend.add(f.Monetary)
	}
	t.npsScores.add(f.NPS)
	t.predictedCLV.add(f.PredictedCLV)
}

// values returns each feature-based metric that has data, keyed by name.
func (t *totals) values() map[string]float64 {
	out := map[string]float64{}
	put := func(name string, v float64, ok bool) {
		if ok {
			out[name] = v
		}
	}
	purchases := t.purchases
	purchases.Revenue = t.revenue.value()
	v, ok := metrics.RepeatPurchaseRate(purchases)
	put(metrics.MetricRepeatPurchaseRate, v, ok)
	v, ok = metrics.PurchaseFrequency(purchases)
	put(metrics.MetricPurchaseFrequency, v, ok)
	v, ok = metrics.AverageOrderValue(purchases)
	put(metrics.MetricAverageOrderValue, v, ok)
	if t.lifetimeBuyers > 0 {
		out[metrics.MetricHistoricalCLV] = t.lifetimeSpend.value() / float64(t.lifetimeBuyers)
	}
	v, ok = t.npsScores.score()
	put(metrics.MetricNPS, v, ok)
	if t.members > 0 {
		out[metrics.MetricPredictedCLV] = t.predictedCLV.value() / float64(t.members)
	}
	return out
}
