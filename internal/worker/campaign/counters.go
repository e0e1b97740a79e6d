package campaign

import (
	"strings"

	"github.com/retention-dev/retention-operator/internal/journey"
)

// The journey counters a batch adds to (journey_counters, summed over shards
// by Summarize). Each counts one kind of thing, so the figures add up:
//
//	messages = sent + failed + pending + dryRunMessages + sum(suppressed)
//
// where sent/failed/pending/dryRun come from the delivery ledger. A quiet-hours
// deferral is not an outcome (the step runs again when the quiet hours end),
// so it is counted apart.
const (
	counterEnrolled       = "enrolled"
	counterMessages       = "messages"
	counterDeferred       = "deferred"
	prefixSuppressed      = "suppressed/"
	prefixPointsWithheld  = "pointsWithheld/"
	prefixConditionErrors = "conditionErrors/"
)

// countEffect adds one effect of Advance to the batch's counters.
func countEffect(counters map[string]int64, e journey.Effect) {
	switch e.Kind {
	case journey.EffectSend:
		counters[counterMessages]++
	case journey.EffectDefer:
		counters[counterDeferred]++
	case journey.EffectSuppress:
		switch e.Withheld {
		case journey.WithheldMessage:
			counters[counterMessages]++
			counters[prefixSuppressed+string(e.Reason)]++
		case journey.WithheldPoints:
			counters[prefixPointsWithheld+string(e.Reason)]++
		case journey.WithheldNothing:
			counters[prefixConditionErrors+string(e.Reason)]++
		}
	}
}

// foldCounters copies the stored counters into the summary.
func foldCounters(s *Summary, counters map[string]int64) {
	for name, n := range counters {
		switch {
		case name == counterMessages:
			s.Messages = n
		case name == counterDeferred:
			s.Deferred += n
		case name == prefixSuppressed+string(journey.ReasonQuietHours):
			// Written as a suppression before deferrals were counted apart.
			s.Deferred += n
		case strings.HasPrefix(name, prefixSuppressed):
			s.Suppressed[strings.TrimPrefix(name, prefixSuppressed)] = n
		case strings.HasPrefix(name, prefixPointsWithheld):
			s.PointsWithheld += n
		case strings.HasPrefix(name, prefixConditionErrors):
			s.ConditionErrors += n
		}
	}
}
