package metrics

import (
	"math"
	"reflect"
	"testing"
	"time"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// rate is one metric computed from counts of type C, and its expected value.
type rate[C any] struct {
	name string
	f    func(C) (float64, bool)
	want float64
}

// checkRates checks every rate on the counts c.
func checkRates[C any](t *testing.T, c C, rates []rate[C]) {
	t.Helper()
	for _, r := range rates {
		if got, ok := r.f(c); !ok || !near(got, r.want) {
			t.Errorf("%s = %v (ok %v), want %v", r.name, got, ok, r.want)
		}
	}
}

func TestRetentionAndChurn(t *testing.T) {
	c := CountRetention(fixtureOrders(), windowStart, windowEnd, 0)
	// S = {A, B, E}; E = {A, C, D, E}; N = {C}; lost = {B}.
	if want := (RetentionCounts{Start: 3, End: 4, New: 1, Lost: 1}); c != want {
		t.Fatalf("counts = %+v, want %+v", c, want)
	}
	checkRates(t, c, []rate[RetentionCounts]{
		{"retention (4-1)/3", RetentionRate, 100},
		{"churn 1/3", ChurnRate, 100.0 / 3},
	})
	// A 93-day lookback: active at start = order in [2023-10-31, 2024-02-01)
	// adds D (2023-11-01), so S = {A, B, D, E}; active at end = order in
	// [2023-11-30, 2024-03-01) keeps B (2024-01-20), so E = {A, B, C, D, E},
	// N = {C}, lost = {}: retention (5-1)/4 = 100, churn 0/4 = 0.
	c93 := CountRetention(fixtureOrders(), windowStart, windowEnd, 93*24*time.Hour)
	if want := (RetentionCounts{Start: 4, End: 5, New: 1, Lost: 0}); c93 != want {
		t.Errorf("93-day lookback counts = %+v, want %+v", c93, want)
	}
	// A 20-day lookback: start = [2024-01-12, 2024-02-01) → {A, B, E};
	// end = [2024-02-10, 2024-03-01) → {A, D, E} (C's orders are earlier);
	// N = {} ; lost = {B}: retention 3/3 = 100, churn 1/3.
	c20 := CountRetention(fixtureOrders(), windowStart, windowEnd, 20*24*time.Hour)
	if want := (RetentionCounts{Start: 3, End: 3, New: 0, Lost: 1}); c20 != want {
		t.Errorf("20-day lookback counts = %+v, want %+v", c20, want)
	}
	if _, ok := RetentionRate(RetentionCounts{}); ok {
		t.Error("retention with S = 0 reported ok")
	}
}

func TestPurchaseMetrics(t *testing.T) {
	c := CountPurchases(fixtureOrders(), windowStart, windowEnd)
	// In the window: A 20+40, C 10+15, D 25, E 35 → 4 customers, 2 repeat, 6 orders, 145.
	if want := (PurchaseCounts{Customers: 4, RepeatCustomers: 2, Orders: 6, Revenue: 145}); c != want {
		t.Fatalf("counts = %+v, want %+v", c, want)
	}
	rates := []rate[PurchaseCounts]{
		{"repeat purchase rate 2/4", RepeatPurchaseRate, 50},
		{"purchase frequency 6/4", PurchaseFrequency, 1.5},
		{"AOV 145/6", AverageOrderValue, 145.0 / 6},
	}
	checkRates(t, c, rates)
	for _, r := range rates {
		if _, ok := r.f(PurchaseCounts{}); ok {
			t.Errorf("%s reported ok without data", r.name)
		}
	}
	// Before the end: A 140, B 100, C 25, D 85, E 40 → 390/5 = 78.
	if got, ok := HistoricalCLV(fixtureOrders(), windowEnd); !ok || !near(got, 78) {
		t.Errorf("historical CLV = %v (ok %v), want 78", got, ok)
	}
}

func TestNPS(t *testing.T) {
	if got, ok := NPS(fixtureFeedback(), windowEnd); !ok || !near(got, -20) {
		t.Errorf("NPS = %v (ok %v), want -20", got, ok)
	}
	cases := []struct {
		scores []int
		want   float64
		ok     bool
	}{
		{[]int{10, 9, 8, 7, 0}, 20, true}, // 2 promoters, 1 detractor of 5
		{[]int{-1, 10, -1, 6}, 0, true},   // -1 = never answered
		{[]int{9, 10}, 100, true},
		{[]int{6, 11}, -100, true}, // 11 is invalid
		{[]int{-1}, 0, false},
	}
	for _, tc := range cases {
		got, ok := NPSFromScores(tc.scores)
		if ok != tc.ok || !near(got, tc.want) {
			t.Errorf("NPSFromScores(%v) = %v, %v; want %v, %v", tc.scores, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCohortRetention(t *testing.T) {
	o := func(id, day string) customerOrder { return customerOrder{id, day} }
	orders := toOrders([]customerOrder{
		o("u1", "2024-03-09"), o("u2", "2024-02-02"), o("u3", "2024-03-01"), o("u1", "2024-01-05"),
		o("u4", "2024-02-14"), o("u4", "2023-12-31"), o("u5", "2024-03-30"), o("u6", "2024-02-20"),
		o("u2", "2024-01-31"), o("u3", "2024-02-10"), o("u6", "2024-02-21"),
	})
	got, err := CohortRetention(orders, at("2024-01-15"), at("2024-03-31"))
	if err != nil {
		t.Fatal(err)
	}
	// Jan {u1, u2}: Feb u2, Mar u1. Feb {u3, u6}: Mar u3. Mar {u5}.
	// u4 first ordered in Dec 2023, before the range: in no cohort.
	want := CohortMatrix{
		Months:    []string{"2024-01", "2024-02", "2024-03"},
		Sizes:     []int{2, 2, 1},
		Retention: [][]float64{{1, 0.5, 0.5}, {1, 0.5}, {1}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cohorts = %+v, want %+v", got, want)
	}
	if _, err := CohortRetention(nil, at("2024-03-01"), at("2024-01-01")); err == nil {
		t.Error("reversed range accepted")
	}
	if _, err := NewCohortBuilder(at("2000-01-01"), at("2030-01-01")); err == nil {
		t.Error("361-month range accepted")
	}
}

func TestCohortBuilderStateIsBoundedPerCustomer(t *testing.T) {
	b, err := NewCohortBuilder(at("2024-01-01"), at("2024-12-31"))
	if err != nil {
		t.Fatal(err)
	}
	// 10,000 orders of one customer keep one fixed-size record.
	for i := range 10000 {
		b.Add(toOrders([]customerOrder{{"heavy", "2024-01-01"}})[0])
		b.Add(toOrders([]customerOrder{{"heavy", at("2024-01-01").AddDate(0, 0, i%366).Format(time.DateOnly)}})[0])
	}
	c := b.customers["heavy"]
	if len(b.customers) != 1 || len(c.active) != 1 {
		t.Fatalf("state: %d customers, %d words, want 1 and 1", len(b.customers), len(c.active))
	}
	m := b.Matrix()
	if m.Sizes[0] != 1 || !reflect.DeepEqual(m.Retention[0], []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}) {
		t.Errorf("heavy buyer row = %v (size %d), want all ones", m.Retention[0], m.Sizes[0])
	}
}
