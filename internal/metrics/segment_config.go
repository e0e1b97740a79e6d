package metrics

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultWindow is the window of a Segment that sets no spec.window.
const DefaultWindow = 90 * 24 * time.Hour

// SegmentConfig is what a metric job computes for one Segment: the engine's
// side of spec.criteria, spec.metrics and spec.window. The Segment controller
// maps and validates it (specmap.Segment) and renders it into the job's spec;
// the job reads it as is.
type SegmentConfig struct {
	// Criteria is the CEL expression over customer features (package segment).
	Criteria string
	// Metrics are the requested metric names (AllMetrics), in spec order.
	Metrics []string
	// Window is the look-back of windowed features and metrics; 0 means
	// DefaultWindow.
	Window time.Duration
	// Shards is how many pods split each run (an Indexed Job); 0 or 1 is
	// one pod.
	Shards int
	// Incremental, when set, keeps per-customer aggregates between runs
	// (docs/metrics-incremental.md); nil recomputes in full every run.
	Incremental *IncrementalConfig
}

// IncrementalConfig is spec.incremental; a zero duration takes its default.
type IncrementalConfig struct {
	Overlap, FullEvery, RefitEvery time.Duration
}

// Defaults of spec.incremental (docs/metrics-incremental.md says the same).
const (
	DefaultIncrementalOverlap = 7 * 24 * time.Hour
	DefaultFullEvery          = 7 * 24 * time.Hour
	DefaultRefitEvery         = 7 * 24 * time.Hour
)

// ShardCount is Shards, with 0 read as one pod.
func (c SegmentConfig) ShardCount() int { return max(1, c.Shards) }

// WindowOrDefault is Window, or DefaultWindow when it is 0.
func (c SegmentConfig) WindowOrDefault() time.Duration {
	if c.Window == 0 {
		return DefaultWindow
	}
	return c.Window
}

// Validate reports the first setting no metric job can run, naming the
// Segment's field. The criteria is compiled by the caller (segment.Compile),
// which needs the program anyway.
func (c SegmentConfig) Validate() error {
	if c.Window < 0 {
		return fmt.Errorf("spec.window must be positive (e.g. 90d)")
	}
	for i, m := range c.Metrics {
		if !slices.Contains(AllMetrics, m) {
			return fmt.Errorf("spec.metrics[%d]: unknown metric %q (one of %s)", i, m, strings.Join(AllMetrics, ", "))
		}
	}
	return nil
}
