package metrics

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/internal/metrics"
)

// incrementalSettings are spec.incremental with defaults applied.
type incrementalSettings struct {
	overlap, fullEvery, refitEvery time.Duration
}

// newIncrementalSettings applies the defaults to the mapped spec (specmap
// has refused anything but positive durations).
func newIncrementalSettings(c *metrics.IncrementalConfig) incrementalSettings {
	return incrementalSettings{
		overlap:    cmp.Or(c.Overlap, metrics.DefaultIncrementalOverlap),
		fullEvery:  cmp.Or(c.FullEvery, metrics.DefaultFullEvery),
		refitEvery: cmp.Or(c.RefitEvery, metrics.DefaultRefitEvery),
	}
}

// aggregateSpecHash identifies what the stored aggregates mean: the row
// layout, the source they were read from, the window of windowOrders and
// windowSpend, which parts are kept (purchase days for predicted CLV,
// activity for retention, churn and cohorts) and the first cohort month the
// activity's month bits count from. A change to any of them makes the next
// run a full one. The criteria, the other metrics, loyalty and ingested
// traits are applied at every run and are not part of it.
func (r *run) aggregateSpecHash() string {
	p, src := r.plan, r.o.Source
	cohortFrom := ""
	if r.act != nil && r.act.cohort != nil {
		cohortFrom = r.act.cohortFrom.Format(time.RFC3339)
	}
	h := sha256.New()
	fmt.Fprintf(h, "format=%d\nkind=%s\ndsn=%s\npath=%s\nqueries=%q\nwindow=%d\ndays=%t\nactivity=%t\ncohorts=%t %s\n",
		aggregateFormat, src.Kind, src.DSN, src.Path, []string{src.Queries.Customers, src.Queries.Orders, src.Queries.Feedback},
		p.window, p.predict, p.orderMetrics, p.wants(metrics.MetricCohortRetention), cohortFrom)
	return hex.EncodeToString(h.Sum(nil))
}
