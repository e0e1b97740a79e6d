package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// syntheticOrders makes about n orders of n/10 heterogeneous customers in
// 2024: each has an acquisition date, an exponentially distributed number of
// repeat orders (mean 9) after it and a log-normal spend level, so that the
// CLV models have real heterogeneity to fit.
func syntheticOrders(n int) []customer.Order {
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	year := int64(366 * 24 * time.Hour)
	orders := make([]customer.Order, 0, n)
	for i := 0; len(orders) < n; i++ {
		id := fmt.Sprintf("c%06d", i)
		first := rng.Int64N(year)
		level := 10 * math.Exp(1+0.7*rng.NormFloat64())
		repeats := int(rng.ExpFloat64() * 9)
		orders = append(orders, customer.Order{CustomerID: id, Amount: level, OccurredAt: start.Add(time.Duration(first))})
		for range repeats {
			at := first + rng.Int64N(year-first)
			orders = append(orders, customer.Order{CustomerID: id, Amount: level * (0.5 + rng.Float64()), OccurredAt: start.Add(time.Duration(at))})
		}
	}
	return orders[:n]
}

// BenchmarkCohortRetention100kOrders builds a 12-month cohort matrix from
// 100,000 orders of about 10,000 customers.
func BenchmarkCohortRetention100kOrders(b *testing.B) {
	orders := syntheticOrders(100000)
	from, to := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CohortRetention(orders, from, to); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompute100kOrders runs every metric, including fitting the CLV
// models, over 100,000 orders of about 10,000 customers for a Q4 window.
func BenchmarkCompute100kOrders(b *testing.B) {
	orders := syntheticOrders(100000)
	in := Input{WindowStart: time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC), WindowEnd: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Orders: orders}
	b.ReportAllocs()
	for b.Loop() {
		r, err := Compute(in)
		if err != nil {
			b.Fatal(err)
		}
		if !r.Has(MetricPredictedCLV) {
			b.Fatalf("predictedCLV unavailable: %s", r.Unavailable[MetricPredictedCLV])
		}
	}
}
