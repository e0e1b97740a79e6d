package metrics

import (
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

func TestComputeFromOrdersAndFeedback(t *testing.T) {
	r := mustCompute(t, Input{WindowStart: windowStart, WindowEnd: windowEnd, Orders: fixtureOrders(), Feedback: fixtureFeedback()})
	want := map[string]float64{
		MetricRetentionRate:      100,
		MetricChurnRate:          100.0 / 3,
		MetricRepeatPurchaseRate: 50,
		MetricPurchaseFrequency:  1.5,
		MetricAverageOrderValue:  145.0 / 6,
		MetricHistoricalCLV:      78,
		MetricNPS:                -20,
	}
	m := r.Map()
	checkMetrics(t, m, want)
	// Cohorts over February only: C is the one new customer and ordered in February.
	wantCohort := CohortMatrix{Months: []string{"2024-02"}, Sizes: []int{1}, Retention: [][]float64{{1}}}
	if got := m[MetricCohortRetention]; !reflect.DeepEqual(got, wantCohort) {
		t.Errorf("cohortRetention = %+v, want %+v", got, wantCohort)
	}
}

func TestComputeRestrictsToMembersAndUsesTheirPredictedCLV(t *testing.T) {
	members := []customer.Features{{ID: "A", PredictedCLV: 120, NPS: -1}, {ID: "B", PredictedCLV: 0, NPS: -1}, {ID: "D", PredictedCLV: 30, NPS: -1}}
	r := mustCompute(t, Input{WindowStart: windowStart, WindowEnd: windowEnd, Members: members, Orders: fixtureOrders(), Feedback: fixtureFeedback()})
	// Members A, B, D. S = {A, B}, E = {A, D}, N = {}, lost = {B}:
	// retention 2/2 = 100, churn 1/2 = 50. Window: A 2 orders 60, D 1 order 25:
	// repeat 1/2 = 50, frequency 3/2, AOV 85/3. Historical: (140+100+85)/3.
	// NPS: A 6, B 9, D 3 → (1-2)/3. Predicted: (120+0+30)/3 = 50.
	want := map[string]float64{
		MetricRetentionRate:      100,
		MetricChurnRate:          50,
		MetricRepeatPurchaseRate: 50,
		MetricPurchaseFrequency:  1.5,
		MetricAverageOrderValue:  85.0 / 3,
		MetricHistoricalCLV:      325.0 / 3,
		MetricNPS:                -100.0 / 3,
		MetricPredictedCLV:       50,
	}
	checkMetrics(t, r.Map(), want)
}

// mustCompute computes in, failing t if Compute returns an error.
func mustCompute(t *testing.T, in Input) Result {
	t.Helper()
	r, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkMetrics checks that m holds every metric of want, as a float64
// within 1e-9 of it.
func checkMetrics(t *testing.T, m map[string]any, want map[string]float64) {
	t.Helper()
	for name, w := range want {
		if got, ok := m[name].(float64); !ok || math.Abs(got-w) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, m[name], w)
		}
	}
}

func TestComputeFromFeaturesOnly(t *testing.T) {
	members := []customer.Features{
		{ID: "a", WindowOrders: 3, WindowSpend: 90, Frequency: 10, Monetary: 400, NPS: 10},
		{ID: "b", WindowOrders: 1, WindowSpend: 10, Frequency: 1, Monetary: 10, NPS: 5},
		{ID: "c", WindowOrders: 0, WindowSpend: 0, Frequency: 2, Monetary: 70, NPS: -1},
		{ID: "d", NPS: 8},
	}
	r := mustCompute(t, Input{WindowStart: windowStart, WindowEnd: windowEnd, Members: members})
	// Window: a 3 orders, b 1 → repeat 1/2 = 50, frequency 4/2 = 2, AOV 100/4 = 25.
	// Historical: (400+10+70)/3 = 160. NPS over a 10, b 5, d 8: (1-1)/3 = 0.
	want := map[string]float64{
		MetricRepeatPurchaseRate: 50,
		MetricPurchaseFrequency:  2,
		MetricAverageOrderValue:  25,
		MetricHistoricalCLV:      160,
		MetricNPS:                0,
	}
	m := r.Map()
	if len(m) != len(want) {
		t.Errorf("computed %v, want exactly %d metrics", slices.Sorted(maps.Keys(m)), len(want))
	}
	checkMetrics(t, m, want)
	for _, name := range []string{MetricRetentionRate, MetricChurnRate, MetricCohortRetention, MetricPredictedCLV} {
		if r.Has(name) || r.Unavailable[name] == "" {
			t.Errorf("%s: computed=%v, reason %q; want unavailable with a reason", name, r.Has(name), r.Unavailable[name])
		}
	}
	if !strings.Contains(r.Unavailable[MetricRetentionRate], "needs orders") {
		t.Errorf("retention reason %q does not say it needs orders", r.Unavailable[MetricRetentionRate])
	}
}

func TestComputeRejectsEmptyWindow(t *testing.T) {
	for _, in := range []Input{{}, {WindowStart: windowEnd, WindowEnd: windowStart}, {WindowStart: windowStart, WindowEnd: windowStart}} {
		if _, err := Compute(in); err == nil || !strings.Contains(err.Error(), "windowEnd must be after windowStart") {
			t.Errorf("Compute(%v..%v) error = %v", in.WindowStart, in.WindowEnd, err)
		}
	}
}

func TestComputePredictedCLVFromOrdersWithoutRepeatersIsExplained(t *testing.T) {
	var orders []customer.Order
	for i, id := range []string{"x", "y", "z"} {
		orders = append(orders, customer.Order{CustomerID: id, Amount: 10, OccurredAt: windowStart.Add(time.Duration(i) * 24 * time.Hour)})
	}
	r := mustCompute(t, Input{WindowStart: windowStart, WindowEnd: windowEnd, Orders: orders})
	if r.Has(MetricPredictedCLV) || !strings.Contains(r.Unavailable[MetricPredictedCLV], "repeat purchase") {
		t.Errorf("predictedCLV computed=%v reason %q; want unavailable because nobody repeated", r.Has(MetricPredictedCLV), r.Unavailable[MetricPredictedCLV])
	}
}
