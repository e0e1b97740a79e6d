package specmap

import (
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/metrics"
	"github.com/retention-dev/retention-operator/internal/segment"
)

// Segment converts a Segment spec into the metric job's configuration and
// validates it with the engines' own checks: the criteria compiles within
// the CEL cost limit (segment.Compile), the window is a positive duration
// and every metric is one the job computes (metrics.SegmentConfig.Validate).
// An unset window stays 0, which the job reads as metrics.DefaultWindow.
func Segment(spec *v1alpha1.SegmentSpec) (metrics.SegmentConfig, error) {
	cfg := metrics.SegmentConfig{Criteria: spec.Criteria}
	if _, err := segment.Compile(spec.Criteria); err != nil {
		return cfg, fmt.Errorf("spec.criteria: %w", err)
	}
	if spec.Window != "" {
		w, err := Duration("spec.window", spec.Window)
		if err != nil {
			return cfg, err
		}
		if w <= 0 {
			return cfg, fmt.Errorf("spec.window: %q must be longer than zero (e.g. 90d)", spec.Window)
		}
		cfg.Window = w
	}
	for _, m := range spec.Metrics {
		cfg.Metrics = append(cfg.Metrics, string(m))
	}
	cfg.Shards = spec.ShardCount()
	if inc := spec.Incremental; inc != nil {
		if cfg.Shards > 1 {
			return cfg, fmt.Errorf("spec.incremental needs spec.shards 1: a sharded run recomputes in full; drop one of them")
		}
		cfg.Incremental = &metrics.IncrementalConfig{}
		for _, d := range []struct {
			field string
			value v1alpha1.Duration
			into  *time.Duration
		}{
			{"spec.incremental.overlap", inc.Overlap, &cfg.Incremental.Overlap},
			{"spec.incremental.fullEvery", inc.FullEvery, &cfg.Incremental.FullEvery},
			{"spec.incremental.refitEvery", inc.RefitEvery, &cfg.Incremental.RefitEvery},
		} {
			if d.value == "" {
				continue
			}
			v, err := Duration(d.field, d.value)
			if err != nil {
				return cfg, err
			}
			if v <= 0 {
				return cfg, fmt.Errorf("%s: %q must be longer than zero (e.g. 7d)", d.field, d.value)
			}
			*d.into = v
		}
	}
	return cfg, cfg.Validate()
}
