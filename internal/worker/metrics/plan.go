package metrics

import (
	"fmt"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/metrics"
	"github.com/retention-dev/retention-operator/internal/segment"
)

// plan is what a Segment spec asks the run to do.
type plan struct {
	window  time.Duration
	program *segment.Program
	// where/args push the criteria down into a SQL source (pushdown = true).
	where    string
	args     []any
	pushdown bool
	// requested metric names, in spec order.
	metrics []string
	// orderMetrics: retention, churn or cohorts need order dates per member.
	orderMetrics bool
	// predict: predictedCLV is requested, or the criteria reads the model's
	// output (criteriaPredicts: then a failed fit fails the run; otherwise
	// only the metric is left out).
	predict, criteriaPredicts bool
}

// predictiveFields are customer fields the data source cannot compute in
// SQL; a criteria that reads one is evaluated in Go after the model ran.
var predictiveFields = []string{"customer.predictedCLV", "customer.churnProbability", "customer.loyaltyTier", "customer.loyaltyPoints"}

// newPlan validates the spec, naming the field to fix.
func newPlan(spec metrics.SegmentConfig, kind sourceconfig.Kind) (*plan, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	p := &plan{window: spec.WindowOrDefault()}
	for _, m := range spec.Metrics {
		p.metrics = append(p.metrics, m)
		switch m {
		case metrics.MetricRetentionRate, metrics.MetricChurnRate, metrics.MetricCohortRetention:
			p.orderMetrics = true
		case metrics.MetricPredictedCLV:
			p.predict = true
		}
	}
	prog, err := segment.Compile(spec.Criteria)
	if err != nil {
		return nil, fmt.Errorf("spec.criteria: %w", err)
	}
	p.program = prog
	readsModel := false
	for _, f := range predictiveFields {
		if strings.Contains(spec.Criteria, f) {
			readsModel = true
		}
	}
	if strings.Contains(spec.Criteria, "customer.predictedCLV") || strings.Contains(spec.Criteria, "customer.churnProbability") {
		p.predict, p.criteriaPredicts = true, true
	}
	if readsModel {
		return p, nil
	}
	switch kind {
	case sourceconfig.KindPostgres:
		p.where, p.args, p.pushdown = segment.ToSQL(prog, segment.Postgres)
	case sourceconfig.KindSQLite:
		p.where, p.args, p.pushdown = segment.ToSQL(prog, segment.SQLite)
	}
	return p, nil
}

// wants reports whether the spec requested metric name.
func (p *plan) wants(name string) bool {
	for _, m := range p.metrics {
		if m == name {
			return true
		}
	}
	return false
}
