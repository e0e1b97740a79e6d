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

// worker holds one shard's view: its journey states (the store is the
// truth; this is a write-through cache rebuilt when the shard is taken) and
// the last observed trigger values. A replica runs one worker per shard it
// owns: the --shard override's one, or one per leased shard.
type worker struct {
	o      Options
	db     *store.DB
	pb     *journey.Playbook
	sched  cron.Schedule
	states map[string]journey.State
	seen   map[string]journey.Seen
	// lease guards every write of a leased shard (nil with --shard i/n);
	// leaseValid says whether the last renewal is still in force.
	lease      *store.ShardLease
	leaseValid func() bool
	// snap is the metric job's membership for this shard (Options.Segment).
	snap memberSnapshot
	// erased is the store's erasure list, this shard's own (dropErased).
	erased *store.ErasedIDs
	// winners are the promoted variants (step -> variant), read from the
	// store at the start of each tick.
	winners map[string]string
	// woken says this tick was started by the store's notification of new
	// events, not by the poll interval (events_recent.go); events is the
	// shard's memory of the events acted on.
	woken  bool
	events *eventMemo
	// sends are this shard's sends in flight (sends.go); each shard's
	// worker has its own (forShard).
	sends *sendPipe
}

// storeIdleConns is how many state store connections the worker keeps open
// between uses: a tick's transactions, the outcome recorder of the sends in
// flight (sends.go), suppression checks and the summary can use a few at
// once, and database/sql's default of 2 would close and reopen (a new
// PostgreSQL backend each time) the others on every tick.
const storeIdleConns = 8

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
		db.SetMaxIdleConns(storeIdleConns)
	}
	if err := db.MigrateJourney(ctx); err != nil {
		return err
	}
	pb.Links = o.messageLinks
	if err := shareRateLimits(ctx, &o, db); err != nil {
		return err
	}
	if o.Segment != nil {
		// The snapshot tables are the metric job's; the worker may start first.
		if err := db.MigrateSegments(ctx); err != nil {
			return err
		}
	}
	base := &worker{o: o, db: db, pb: pb, sched: sched}
	var set shardSet
	if o.Leases != nil {
		if err := db.MigrateShardLeases(ctx); err != nil {
			return err
		}
		set = &leasedSet{base: base, l: *o.Leases, workers: map[int]*worker{}}
	} else {
		w, err := base.forShard(ctx, o.Shard, o.Shards, nil)
		if err != nil {
			return err
		}
		set = staticSet{w}
	}
	// Leases are released on every return, so the others take over at once;
	// a crash leaves them to expire.
	defer func() {
		if err := set.release(context.WithoutCancel(ctx)); err != nil {
			o.Logger.Warn("releasing shard leases failed; other replicas take over when they expire", "playbook", pb.Name, "err", err)
		}
	}()
	// Sends still in flight finish (or fail with the cancelled context and
	// stay pending) before the leases go: another replica must not resend
	// them while they are on the wire. Deferred after the release, so it
	// runs first.
	// running are the shard workers of the last round; the set awaits the
	// sends of a worker it drops.
	var running []*worker
	awaitAll := func() {
		for _, w := range running {
			w.awaitSends() //nolint:errcheck // rows that failed stay pending for the next start
		}
	}
	defer awaitAll()
	lastPublish := time.Time{}
	woken := false
	for {
		// A suspended playbook keeps its state and only reports; for a
		// one-shot run that means it is immediately idle.
		idle := o.Suspend
		if !o.Suspend {
			workers, err := set.current(ctx)
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				return err
			}
			running = workers
			idle = true
			for _, w := range workers {
				w.woken = woken
				busy, err := w.round(ctx)
				if isLeaseLost(err) {
					o.Logger.Info("shard lease lost; another replica continues the shard", "playbook", pb.Name, "shard", w.o.Shard)
					set.drop(w)
					continue
				}
				if err != nil && ctx.Err() != nil {
					// Stopped mid-tick: the open transaction rolled back and
					// committed rows still pending are resent on the next start.
					break
				}
				if err != nil {
					return err
				}
				idle = idle && !busy
			}
			if err := base.promoteVariants(ctx); err != nil && ctx.Err() == nil {
				return err
			}
		}
		base.sweepLedger(ctx)
		if now := o.Clock(); o.Publish != nil && (now.Sub(lastPublish) >= o.PublishInterval || idle && o.ExitWhenIdle) {
			if err := base.publish(ctx); err != nil {
				o.Logger.Warn("publishing summary failed", "playbook", pb.Name, "err", err)
			}
			lastPublish = now
		}
		if idle && o.ExitWhenIdle && o.Leases != nil && !o.Suspend {
			// Idle here only says this replica's shards are done; a one-shot
			// run means "until nothing is due" in every shard, so it keeps
			// polling (and claims shards whose holder is gone) until the
			// whole playbook is done.
			left, err := db.PlaybookOutstanding(ctx, pb.Name)
			if err != nil && ctx.Err() == nil {
				return err
			}
			idle = left == 0
		}
		if idle && o.ExitWhenIdle {
			return nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(base.pollWait(o.Clock())):
			woken = false
			continue
		case <-o.Wake:
			woken = true
			continue
		}
		break
	}
	awaitAll() // the last summary counts them
	if o.Publish != nil {
		base.publish(context.WithoutCancel(ctx)) //nolint:errcheck // best effort on shutdown
	}
	return nil
}

// round finishes what a previous run (or a transient failure) left pending,
// then runs one tick. busy reports anything pending, changed, in flight or
// active. A round that fails has no sends left in flight when it returns.
func (w *worker) round(ctx context.Context) (busy bool, err error) {
	defer func() {
		if err != nil {
			w.awaitSends() //nolint:errcheck // the round's error is the one to report
		}
	}()
	if err := w.dropErased(ctx); err != nil {
		return false, err
	}
	pending := 0
	if w.needsResend() {
		if err := w.awaitSends(); err != nil {
			return false, err
		}
		if pending, err = w.resendPending(ctx); err != nil {
			return false, err
		}
	}
	worked, err := w.tick(ctx, w.o.Clock())
	if err != nil {
		return false, err
	}
	if !worked || !w.woken {
		// Only a round woken by new events leaves its sends in flight, for
		// the next woken round to overlap; a round on the poll interval,
		// like an idle one, returns with its sends done.
		if err := w.awaitSends(); err != nil {
			return false, err
		}
	}
	return pending > 0 || worked || w.sends.resendDue.Load() || w.activeCount() > 0, nil
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

// customers returns the feature rows and the segment members the tick
// works on: from the metric job's snapshot (Options.Segment), else every
// feature row of the shard with membership decided by members.
func (w *worker) customers(ctx context.Context, now time.Time) (map[string]*customer.Features, map[string]bool, error) {
	var feats map[string]*customer.Features
	var members map[string]bool
	var err error
	if w.o.Segment != nil {
		if feats, members, err = w.snapshotCustomers(ctx, now); err == nil {
			// Membership is the metric job's; tiers and points are current.
			err = w.addLoyalty(ctx, now, feats)
		}
	} else if feats, err = w.loadFeatures(ctx, now); err == nil {
		// Tiers and points first: segment criteria may test them.
		if err = w.addLoyalty(ctx, now, feats); err == nil {
			members, err = w.members(ctx, feats)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	return feats, members, nil
}

// loadFeatures reads every feature row of this replica's shard (copies:
// the connector reuses its struct).
func (w *worker) loadFeatures(ctx context.Context, now time.Time) (map[string]*customer.Features, error) {
	out := map[string]*customer.Features{}
	err := w.o.Source.ScanFeatures(ctx, featureQuery(now), func(f *customer.Features) error {
		if journey.Shard(f.ID, w.o.Shards) != w.o.Shard {
			return nil
		}
		out[f.ID] = copyFeatures(f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read customers: %w", err)
	}
	return out, nil
}

// addLoyalty fills in loyalty tiers and points (LoyaltyBalances) before
// criteria, triggers and templates see the rows.
func (w *worker) addLoyalty(ctx context.Context, now time.Time, out map[string]*customer.Features) error {
	if w.o.LoyaltyBalances != nil {
		// Members without a feature row (not in the data source) are
		// skipped: nothing could be sent to them.
		err := w.o.LoyaltyBalances(ctx, now, func(id, tier string, points int64) error {
			if f := out[id]; f != nil {
				f.LoyaltyTier, f.LoyaltyPoints = tier, points
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("read loyalty balances: %w", err)
		}
	}
	return nil
}
