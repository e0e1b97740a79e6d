package campaign

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
)

// worker holds one replica's view: its shard's journey states (the store is
// the truth; this is a write-through cache rebuilt at start) and the last
// observed trigger values.
type worker struct {
	o      Options
	db     *store.DB
	pb     *journey.Playbook
	sched  cron.Schedule
	states map[string]journey.State
	seen   map[string]string
}

// Run runs the playbook until ctx ends (or, with ExitWhenIdle, until nothing
// is left to do). A validation problem is returned before anything is sent.
func Run(ctx context.Context, o Options) error {
	o.defaults()
	pb, sched, err := Validate(o)
	if err != nil {
		return err
	}
	db := o.DB
	if db == nil {
		if db, err = store.Open(ctx, o.StoreURL); err != nil {
			return err
		}
		defer db.Close()
	}
	if err := db.MigrateJourney(ctx); err != nil {
		return err
	}
	w := &worker{o: o, db: db, pb: pb, sched: sched}
	if w.states, err = db.LoadJourneyStates(ctx, pb.Name, o.Shard, o.Shards); err != nil {
		return err
	}
	if w.seen, err = db.LoadJourneySeen(ctx, pb.Name, o.Shard, o.Shards); err != nil {
		return err
	}
	lastPublish := time.Time{}
	for {
		// A suspended playbook keeps its state and only reports; for a
		// one-shot run that means it is immediately idle.
		idle := o.Suspend
		if !o.Suspend {
			// Finish what a previous run (or a transient failure) left pending
			// before deciding anything new.
			pending, err := w.resendPending(ctx)
			if err != nil {
				return err
			}
			worked, err := w.tick(ctx, o.Clock())
			if err != nil {
				return err
			}
			idle = pending == 0 && !worked && w.activeCount() == 0
		}
		if now := o.Clock(); o.Publish != nil && (now.Sub(lastPublish) >= o.PublishInterval || idle && o.ExitWhenIdle) {
			if err := w.publish(ctx); err != nil {
				o.Logger.Warn("publishing summary failed", "playbook", pb.Name, "err", err)
			}
			lastPublish = now
		}
		if idle && o.ExitWhenIdle {
			return nil
		}
		select {
		case <-ctx.Done():
			if o.Publish != nil {
				w.publish(context.WithoutCancel(ctx)) //nolint:errcheck // best effort on shutdown
			}
			return nil
		case <-time.After(o.PollInterval):
		}
	}
}

func (w *worker) activeCount() int {
	n := 0
	for _, st := range w.states {
		if st.Status == journey.Active {
			n++
		}
	}
	return n
}

// loadFeatures reads every feature row of this replica's shard (copies:
// the connector reuses its struct).
func (w *worker) loadFeatures(ctx context.Context, now time.Time) (map[string]*customer.Features, error) {
	out := map[string]*customer.Features{}
	err := w.o.Source.ScanFeatures(ctx, featureQuery(now), func(f *customer.Features) error {
		if journey.Shard(f.ID, w.o.Shards) != w.o.Shard {
			return nil
		}
		c := *f
		c.Attributes = make(map[string]string, len(f.Attributes))
		for k, v := range f.Attributes {
			c.Attributes[k] = v
		}
		out[c.ID] = &c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read customers: %w", err)
	}
	return out, nil
}
