package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/customer"
)

// TestMissingMetricsAreExplained: a requested metric without data does not
// vanish; the report says why in MetricNotes (issue 17 item 7: retentionRate,
// churnRate and cohortRetention with window 730d showed nothing).
func TestMissingMetricsAreExplained(t *testing.T) {
	long := fixtureSeg
	long.Window = "730d"
	// Every member's first order (March) is before the 30-day window's
	// months (May, June), so every cohort of the matrix is empty.
	oldCustomers := shop{
		customers: []string{"cust-secret-1", "cust-secret-2"},
		orders: []customer.Order{
			orderAt("cust-secret-1", "o1", day("2024-03-02"), 20), orderAt("cust-secret-1", "o2", day("2024-06-10"), 30),
			orderAt("cust-secret-2", "o3", day("2024-03-05"), 40), orderAt("cust-secret-2", "o4", day("2024-05-20"), 10),
		},
	}
	for _, tc := range []struct {
		name      string
		data      shop
		spec      v1alpha1.SegmentSpec
		wantNotes map[string][]string // metric -> fragments its note must hold
	}{
		{"every metric has data", fixtureShop(), fixtureSeg, nil},
		{"730d window: nobody active before it", fixtureShop(), long, map[string][]string{
			"retentionRate": {"730d", "2020-07-01 to 2022-07-01", "shorten spec.window"},
			"churnRate":     {"730d", "shorten spec.window"},
		}},
		{"no member's first order in the window", oldCustomers, fixtureSeg, map[string][]string{
			"cohortRetention": {"every cohort is empty", "30d", "2024-05-01 to 2024-06-30"},
			"nps":             {"no NPS answer"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for name, open := range sources(t, tc.data) {
				t.Run(name, func(t *testing.T) {
					sum, err := runAt(t, open(t), tc.spec, asOf.Add(12*time.Hour))
					if err != nil {
						t.Fatal(err)
					}
					if len(sum.MetricNotes) != len(tc.wantNotes) {
						t.Errorf("notes %v, want notes for exactly %d metrics", sum.MetricNotes, len(tc.wantNotes))
					}
					for metric, fragments := range tc.wantNotes {
						note, ok := sum.MetricNotes[metric]
						if !ok {
							t.Errorf("%s: no note (metrics %v)", metric, sum.Metrics)
							continue
						}
						if _, has := sum.Metrics[metric]; has {
							t.Errorf("%s has both a value and a note", metric)
						}
						for _, f := range fragments {
							if !strings.Contains(note, f) {
								t.Errorf("%s note %q lacks %q", metric, note, f)
							}
						}
						if strings.Contains(note, "cust-secret") {
							t.Errorf("%s note carries a customer id: %q", metric, note)
						}
					}
					// Every requested metric is accounted for: a value, a matrix or a note.
					for _, m := range tc.spec.Metrics {
						_, value := sum.Metrics[string(m)]
						_, note := sum.MetricNotes[string(m)]
						if !value && !note && !(m == "cohortRetention" && sum.Cohorts != nil) {
							t.Errorf("%s vanished: no value and no note", m)
						}
					}
				})
			}
		})
	}
}
