package metrics

import (
	"fmt"
	"math"
	"time"

	"github.com/retention-dev/retention-operator/internal/metrics"
)

// metricNote says why a requested metric has no value in this run, naming
// the window's dates and what to change, so a metric never vanishes
// silently: the note goes into the report (report.Segment.MetricNotes) for
// the controller to show in status. Notes carry dates, durations and counts,
// never customer data. It returns "" when the metric has a value.
func (r *run) metricNote(name string, values map[string]float64) string {
	if name == metrics.MetricCohortRetention {
		return r.cohortNote()
	}
	if v, ok := values[name]; ok {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "not a finite number: the data holds an amount that is NaN or infinite (e.g. 'NaN' or 'Infinity' in a numeric column); fix or filter those order rows"
		}
		return ""
	}
	window := days(r.plan.window)
	start, end := r.now.Add(-r.plan.window), r.now
	switch name {
	case metrics.MetricRetentionRate, metrics.MetricChurnRate:
		if r.act == nil {
			return "not computed: the order history was not read"
		}
		return fmt.Sprintf("no member was active in the %s before the window began (no order from %s to %s), so there is nobody to retain or lose; shorten spec.window or wait for more order history",
			window, date(start.Add(-r.plan.window)), date(start))
	case metrics.MetricRepeatPurchaseRate, metrics.MetricPurchaseFrequency, metrics.MetricAverageOrderValue:
		return fmt.Sprintf("no member ordered in the %s window (%s to %s); lengthen spec.window or check the segment's criteria", window, date(start), date(end))
	case metrics.MetricHistoricalCLV:
		return "no member has any order; check the segment's criteria and the data source's orders"
	case metrics.MetricNPS:
		return "no NPS answer from any member; the data source has no feedback for them"
	case metrics.MetricPredictedCLV:
		if r.fitNote != "" {
			return r.fitNote + "; more order history (repeat customers) lets the model fit"
		}
		return "no member to score"
	}
	return "no data"
}

// cohortNote: the matrix is left out when every cohort is empty (no member's
// first order falls in the window's months).
func (r *run) cohortNote() string {
	c := r.cohorts()
	if c != nil {
		for _, n := range c.Sizes {
			if n > 0 {
				return ""
			}
		}
	}
	if r.act == nil {
		return "not computed: the order history was not read"
	}
	return fmt.Sprintf("no member's first order falls in the %s window (%s to %s), so every cohort is empty; lengthen spec.window to reach back to the first orders, or wait for new customers",
		days(r.plan.window), date(r.act.cohortFrom), date(r.now))
}

// metricNotes collects a note per requested metric without a value; nil when
// every requested metric has one.
func (r *run) metricNotes(values map[string]float64) map[string]string {
	var notes map[string]string
	for _, name := range r.plan.metrics {
		note := r.metricNote(name, values)
		if note == "" {
			continue
		}
		if notes == nil {
			notes = map[string]string{}
		}
		notes[name] = note
		r.o.Logger.Info("metric has no data", "metric", name, "note", note)
	}
	return notes
}

// days formats a window as the spec writes it: "730d", or the Go duration
// when it is not a whole number of days.
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

func date(t time.Time) string { return t.UTC().Format("2006-01-02") }
