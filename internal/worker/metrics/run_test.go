package metrics

import (
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/report"
)

// TestSameResultAcrossSources runs one segment over the same data in CSV,
// SQLite and PostgreSQL (data and state store) and requires the hand-computed
// membership, metrics and cohorts from each. SQL sources push the criteria
// down, the CSV source evaluates it in Go.
func TestSameResultAcrossSources(t *testing.T) {
	for name, open := range sources(t, fixtureShop()) {
		t.Run(name, func(t *testing.T) {
			src := open(t)
			sum, err := runAt(t, src, fixtureSeg, asOf)
			if err != nil {
				t.Fatal(err)
			}
			if !sum.Succeeded || sum.Error != "" || !sum.DataSourceReachable {
				t.Fatalf("summary %+v", sum)
			}
			if sum.Customers != 6 || sum.Size != 4 || sum.Entered != 4 || sum.Exited != 0 {
				t.Errorf("customers %d size %d entered %d exited %d, want 6 4 4 0", sum.Customers, sum.Size, sum.Entered, sum.Exited)
			}
			if !maps.Equal(report.Decimals(sum.Metrics), fixtureMetrics) {
				t.Errorf("metrics %v\nwant    %v", sum.Metrics, fixtureMetrics)
			}
			cohorts, _ := json.Marshal(sum.Cohorts)
			if string(cohorts) != fixtureCohorts {
				t.Errorf("cohorts %s\nwant    %s", cohorts, fixtureCohorts)
			}
			if !sum.RunTime.Equal(asOf) || sum.LastSuccess == nil || !sum.LastSuccess.Equal(asOf) {
				t.Errorf("runTime %v lastSuccess %v, want both %v", sum.RunTime, sum.LastSuccess, asOf)
			}
			members, err := src.db.SegmentMembers(t.Context(), "shop/buyers")
			if err != nil {
				t.Fatal(err)
			}
			if len(members) != 4 || !members["a"] || !members["b"] || !members["c"] || !members["f"] {
				t.Errorf("stored members %v, want a b c f", members)
			}
		})
	}
}

// TestEnteredExited changes the data between two runs: e buys (enters), b
// spends past the threshold (exits).
func TestEnteredExited(t *testing.T) {
	for name, open := range sources(t, fixtureShop()) {
		t.Run(name, func(t *testing.T) {
			src := open(t)
			if _, err := runAt(t, src, fixtureSeg, asOf); err != nil {
				t.Fatal(err)
			}
			changed := fixtureShop()
			next := asOf.Add(24 * time.Hour)
			changed.orders = append(changed.orders,
				orderAt("e", "o11", next.Add(-time.Hour), 12),
				orderAt("b", "o12", next.Add(-time.Hour), 500))
			src.reload(changed)
			sum, err := runAt(t, src, fixtureSeg, next)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Size != 4 || sum.Entered != 1 || sum.Exited != 1 {
				t.Errorf("size %d entered %d exited %d, want 4 1 1", sum.Size, sum.Entered, sum.Exited)
			}
		})
	}
}
