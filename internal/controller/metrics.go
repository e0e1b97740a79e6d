package controller

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// Domain figures the manager exports from the reports it folds into status,
// so one scrape of the manager covers every namespace. Labels carry the
// resource's namespace and name, never customer data. The Helm chart's
// dashboard plots these names.
var (
	segmentSize = newGauge("retention_segment_size",
		"Members of a Segment at its last successful run.", "namespace", "segment")
	segmentMetric = newGauge("retention_segment_metric",
		"A Segment's retention metric (rates in percent).", "namespace", "segment", "metric")
	// Counters the campaign worker keeps in its store, mirrored from its report.
	campaignSent = newMirroredCounter("retention_campaign_sent_total",
		"Messages a Playbook's campaign worker has sent.", "namespace", "playbook")
	campaignSuppressed = newMirroredCounter("retention_campaign_suppressed_total",
		"Messages a Playbook suppressed, by reason.", "namespace", "playbook", "reason")
	campaignLift = newGauge("retention_campaign_lift",
		"Treatment minus holdout conversion rate, percentage points.", "namespace", "playbook")
	loyaltyLiability = newGauge("retention_loyalty_liability",
		"Outstanding points of a LoyaltyProgram valued in its currency.", "namespace", "program", "currency")
	loyaltyMembers = newGauge("retention_loyalty_members",
		"Members of a LoyaltyProgram by tier.", "namespace", "program", "tier")
)

// newGauge is a gauge of the manager's own, set from the reports it reads.
func newGauge(name, help string, labels ...string) *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
}

func init() {
	metrics.Registry.MustRegister(segmentSize, segmentMetric, campaignSent, campaignSuppressed,
		campaignLift, loyaltyLiability, loyaltyMembers)
}

// forgetMetrics drops every series of a deleted resource, of its own kind
// only: deleting Channel "x" must not wipe Segment "x"'s series.
func forgetMetrics(obj client.Object, namespace, name string) {
	var vecs []interface{ DeletePartialMatch(prometheus.Labels) int }
	var label string
	switch obj.(type) {
	case *v1alpha1.Segment:
		vecs, label = append(vecs, segmentSize, segmentMetric), "segment"
	case *v1alpha1.Playbook:
		vecs, label = append(vecs, campaignSent, campaignSuppressed, campaignLift), "playbook"
	case *v1alpha1.LoyaltyProgram:
		vecs, label = append(vecs, loyaltyLiability, loyaltyMembers), "program"
	}
	for _, v := range vecs {
		v.DeletePartialMatch(prometheus.Labels{"namespace": namespace, label: name})
	}
}
