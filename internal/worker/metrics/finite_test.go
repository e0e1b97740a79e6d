package metrics

import (
	"math"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/internal/metrics"
)

// TestNoFigureIsNaNOrInfinite: whatever the data source computed, a figure
// that is not a finite number is left out of the report and explained.
func TestNoFigureIsNaNOrInfinite(t *testing.T) {
	r := &run{plan: &plan{metrics: []string{metrics.MetricAverageOrderValue, metrics.MetricHistoricalCLV, metrics.MetricRepeatPurchaseRate}}}
	values := map[string]float64{
		metrics.MetricAverageOrderValue:  math.NaN(),
		metrics.MetricHistoricalCLV:      math.Inf(1),
		metrics.MetricRepeatPurchaseRate: 12.5,
	}
	figures := r.metricFigures(values)
	if len(figures) != 1 || figures[metrics.MetricRepeatPurchaseRate] != 12.5 {
		t.Fatalf("figures %v: want only the finite one", figures)
	}
	for _, name := range []string{metrics.MetricAverageOrderValue, metrics.MetricHistoricalCLV} {
		if note := r.metricNote(name, values); !strings.Contains(note, "not a finite number") {
			t.Errorf("%s: note %q does not explain the missing figure", name, note)
		}
	}
}
