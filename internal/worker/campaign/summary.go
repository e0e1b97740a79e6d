package campaign

import (
	"context"
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
)

// Summary is what Publish receives: aggregates over the whole playbook (all
// shards), never a customer id or address.
type Summary struct {
	Playbook  string    `json:"playbook"`
	At        time.Time `json:"at"`
	DryRun    bool      `json:"dryRun,omitempty"`
	Suspended bool      `json:"suspended,omitempty"`
	// Enrolled counts enrolments (re-entries included); Active, Completed and
	// Exited count journeys by their current status.
	Enrolled  int64 `json:"enrolled"`
	Active    int64 `json:"active"`
	Completed int64 `json:"completed"`
	Exited    int64 `json:"exited"`
	// Holdout is the number of journeys in the control group.
	Holdout int64 `json:"holdout"`
	// Messages counts send steps that reached an outcome: each is exactly one
	// of Sent, Failed, Pending, DryRunCount or a Suppressed reason (see
	// counters.go). Sent, Failed, Pending come from the ledger; PointsAwards
	// counts confirmed awards.
	Messages     int64 `json:"messages"`
	Sent         int64 `json:"sent"`
	Failed       int64 `json:"failed"`
	Pending      int64 `json:"pending"`
	DryRunCount  int64 `json:"dryRunMessages,omitempty"`
	PointsAwards int64 `json:"pointsAwards"`
	// Suppressed counts messages not sent, by reason: holdout (every send
	// step a holdout journey reaches), consent, frequencyCap, noRecipient,
	// templateError, ...
	Suppressed map[string]int64 `json:"suppressed"`
	// Deferred counts quiet-hours deferrals (each send later reaches an
	// outcome above); PointsWithheld awards skipped for holdout journeys;
	// ConditionErrors branch or exit conditions that failed (the journey exited).
	Deferred        int64 `json:"deferred,omitempty"`
	PointsWithheld  int64 `json:"pointsWithheld,omitempty"`
	ConditionErrors int64 `json:"conditionErrors,omitempty"`
	// Steps counts active journeys by the step they are at (step name).
	Steps       map[string]int64 `json:"steps,omitempty"`
	Conversions Conversions      `json:"conversions"`
	Lift        journey.Lift     `json:"lift"`
	// Variants are the send steps' variant figures (variants.go);
	// Promotions what each step with variants sends to everyone now.
	Variants   []journey.VariantFigures `json:"variants,omitempty"`
	Promotions []VariantPromotion       `json:"promotions,omitempty"`
	// Broadcast is where a broadcast trigger stands (nil for other triggers).
	Broadcast *BroadcastSummary `json:"broadcast,omitempty"`
}

// Conversions are goal conversions per group with the group sizes.
type Conversions struct {
	Treatment         int64 `json:"treatment"`
	TreatmentJourneys int64 `json:"treatmentJourneys"`
	Holdout           int64 `json:"holdout"`
	HoldoutJourneys   int64 `json:"holdoutJourneys"`
}

// Summarize reads the playbook's aggregates from the store.
func (w *worker) Summarize(ctx context.Context) (*Summary, error) {
	s := &Summary{Playbook: w.pb.Name, At: w.o.Clock().UTC(), DryRun: w.o.DryRun, Suspended: w.o.Suspend,
		Suppressed: map[string]int64{}}
	tallies, err := w.db.JourneyTallies(ctx, w.pb.Name)
	if err != nil {
		return nil, err
	}
	for _, t := range tallies {
		s.Enrolled += t.Enrolments
		switch t.Status {
		case journey.Active:
			s.Active += t.Journeys
		case journey.Completed:
			s.Completed += t.Journeys
		case journey.Exited:
			s.Exited += t.Journeys
		}
		c := &s.Conversions
		if t.Holdout {
			s.Holdout += t.Journeys
			c.HoldoutJourneys += t.Journeys
			if t.Converted {
				c.Holdout += t.Journeys
			}
		} else {
			c.TreatmentJourneys += t.Journeys
			if t.Converted {
				c.Treatment += t.Journeys
			}
		}
	}
	counts, err := w.db.DeliveryCounts(ctx, w.pb.Name)
	if err != nil {
		return nil, err
	}
	s.Sent, s.Failed, s.Pending = counts["message/sent"], counts["message/failed"], counts["message/pending"]
	s.DryRunCount, s.PointsAwards = counts["message/dryRun"], counts["points/sent"]
	counters, err := w.db.JourneyCounters(ctx, w.pb.Name)
	if err != nil {
		return nil, err
	}
	foldCounters(s, counters)
	if s.Steps, err = w.activeByStep(ctx); err != nil {
		return nil, err
	}
	if s.Variants, err = w.variantFigures(ctx); err != nil {
		return nil, err
	}
	if s.Promotions, err = w.variantPromotions(ctx); err != nil {
		return nil, err
	}
	if w.pb.Trigger.Broadcast != nil {
		if s.Broadcast, err = w.broadcastSummary(ctx, s); err != nil {
			return nil, err
		}
	}
	c := s.Conversions
	s.Lift = journey.ComputeLift(c.Treatment, c.TreatmentJourneys, c.Holdout, c.HoldoutJourneys)
	return s, nil
}

// activeByStep counts the playbook's active journeys (all shards) per step
// name. It reads journey_states directly: an aggregate the store has no
// method for, over columns the journey schema documents.
func (w *worker) activeByStep(ctx context.Context) (map[string]int64, error) {
	out, err := store.QueryMap[int64](ctx, w.db, `SELECT step_name, count(*) FROM journey_states WHERE playbook = $1 AND status = $2
		GROUP BY step_name`, w.pb.Name, string(journey.Active))
	if err != nil {
		return nil, fmt.Errorf("count active journeys per step: %w", err)
	}
	return out, nil
}

func (w *worker) publish(ctx context.Context) error {
	s, err := w.Summarize(ctx)
	if err != nil {
		return err
	}
	w.o.Logger.Info("playbook summary", "playbook", s.Playbook, "enrolled", s.Enrolled, "active", s.Active,
		"sent", s.Sent, "failed", s.Failed, "pending", s.Pending)
	return w.o.Publish(ctx, s)
}
