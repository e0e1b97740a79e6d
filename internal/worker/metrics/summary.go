package metrics

import (
	"math"

	"github.com/retention-dev/retention-operator/internal/metrics"
	"github.com/retention-dev/retention-operator/internal/report"
)

// metricValues are the metrics this run has data for, by name.
func (r *run) metricValues() map[string]float64 {
	values := r.totals.values()
	if r.preds == nil {
		delete(values, metrics.MetricPredictedCLV) // not fitted: the zeros mean nothing
	}
	if r.act != nil {
		c := r.act.retention()
		if v, ok := metrics.RetentionRate(c); ok {
			values[metrics.MetricRetentionRate] = v
		}
		if v, ok := metrics.ChurnRate(c); ok {
			values[metrics.MetricChurnRate] = v
		}
	}
	return values
}

// metricFigures are the requested metrics as the report carries them (see
// report.Segment.Metrics). A metric without data (e.g. retention when
// nobody was active before the window) is left out here and explained in
// metricNotes.
func (r *run) metricFigures(values map[string]float64) map[string]report.Figure {
	out := map[string]report.Figure{}
	for _, name := range r.plan.metrics {
		if name == metrics.MetricCohortRetention {
			continue // the matrix goes into Cohorts
		}
		// A figure that is not a finite number (NaN or Infinity from the
		// data, e.g. a PostgreSQL numeric amount of 'NaN') is never
		// published: metricNotes says why it is missing.
		if v, ok := values[name]; ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			out[name] = report.Figure(v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// cohorts converts the cohort matrix to percentages rounded to two decimals.
func (r *run) cohorts() *report.Cohorts {
	if r.act == nil || r.act.cohort == nil {
		return nil
	}
	m := r.act.cohort.Matrix()
	c := &report.Cohorts{Labels: m.Months, Sizes: make([]int64, len(m.Sizes)), Rows: make([][]float64, len(m.Retention))}
	for i, n := range m.Sizes {
		c.Sizes[i] = int64(n)
	}
	for i, row := range m.Retention {
		c.Rows[i] = make([]float64, len(row))
		for k, v := range row {
			c.Rows[i][k] = math.Round(v*10000) / 100
		}
	}
	return c
}
