package metrics

import (
	"testing"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/metrics"
	"github.com/retention-dev/retention-operator/internal/specmap"
)

// segmentConfig maps a Segment spec as the Segment controller does before
// it renders the job's spec: the tests write their segments as users do.
func segmentConfig(t testing.TB, spec v1alpha1.SegmentSpec) metrics.SegmentConfig {
	t.Helper()
	cfg, err := specmap.Segment(&spec)
	if err != nil {
		t.Fatalf("segment spec: %v", err)
	}
	return cfg
}

// segmentWorkerSpec is the metric job's spec as the controller renders it.
func segmentWorkerSpec(t testing.TB, spec v1alpha1.SegmentSpec, ds v1alpha1.DataSourceSpec) contract.Segment {
	t.Helper()
	seg := &v1alpha1.Segment{Spec: spec}
	seg.Namespace, seg.Name = "shop", "buyers"
	source := &v1alpha1.DataSource{Spec: ds}
	source.Namespace, source.Name = "shop", "shop-data"
	out, err := specmap.SegmentWorker(seg, segmentConfig(t, spec), source, nil)
	if err != nil {
		t.Fatalf("worker spec: %v", err)
	}
	return out
}
