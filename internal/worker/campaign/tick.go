package campaign

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
)

// tick runs one round: observe triggers, record conversions, advance every
// due journey in batches, perform the batches' effects. It reports whether
// it changed anything.
func (w *worker) tick(ctx context.Context, now time.Time) (bool, error) {
	feats, members, err := w.customers(ctx, now)
	if err != nil {
		return false, err
	}
	if w.winners, err = w.loadWinners(ctx); err != nil {
		return false, err
	}
	evs, err := w.loadEvents(ctx, now)
	if err != nil {
		return false, err
	}
	orders, err := w.loadOrders(ctx, now)
	if err != nil {
		return false, err
	}
	ob, err := w.observe(ctx, now, feats, members, evs.fresh)
	if err != nil {
		return false, err
	}
	enrol := map[string]bool{}
	for _, id := range ob.candidates {
		var prev *journey.State
		if st, ok := w.states[id]; ok {
			prev = &st
		}
		if journey.CanEnter(w.pb.Reentry, prev, now) {
			enrol[id] = true
		}
	}
	for id, v := range ob.seenIfEnrolled {
		if enrol[id] {
			ob.seen[id] = v
		}
	}
	convert := w.conversions(now, feats, append(evs.events, orders.goal...))
	arrived := w.arrivals(evs, orders)
	work := map[string]bool{}
	for id := range enrol {
		work[id] = true
	}
	for id := range convert {
		work[id] = true
	}
	for id := range arrived {
		if st, ok := w.states[id]; ok && w.pb.WaitingFor(&st) != "" {
			work[id] = true
		}
	}
	for id, st := range w.states {
		if st.Status == journey.Active && !st.DueAt.After(now) {
			work[id] = true
		}
	}
	ids := slices.Sorted(maps.Keys(work))
	if w.o.Segment != nil {
		if err := w.refreshRows(ctx, now, ids, feats); err != nil {
			return false, err
		}
	}
	// Pipeline: while one batch's messages are being sent, the next batch's
	// transaction is written (and, after a woken round, the next round reads
	// and advances: sends.go). Each batch is still committed before any of
	// its own messages leave, which is all exactly-once needs, and a batch's
	// sends start only once the previous batch's have finished, which keeps
	// each customer's messages in order.
	for start := 0; start < len(ids); start += w.o.BatchSize {
		end := min(start+w.o.BatchSize, len(ids))
		ds, err := w.advance(ctx, now, ids[start:end], tickFacts{enrol: enrol, convert: convert,
			triggers: ob.events, arrived: arrived}, feats)
		if err != nil {
			return false, err
		}
		if err := w.awaitSends(); err != nil {
			return false, err
		}
		w.startSends(ctx, ds)
	}
	// Trigger observations are saved only after the enrolments they caused
	// committed: a crash in between re-observes, and CanEnter refuses a
	// second enrolment.
	if len(ob.seen) > 0 {
		if err := w.journeyTx(ctx, nil, now, func(map[string]int) (*store.JourneyBatch, error) {
			return &store.JourneyBatch{Seen: ob.seen}, nil
		}); err != nil {
			return false, err
		}
		for id, v := range ob.seen {
			w.seen[id] = v
		}
	}
	if err := w.recordEvents(ctx, evs, ob.cursors); err != nil {
		return false, err
	}
	if orders.cursor != "" {
		ob.cursors[w.cursorName("orders")] = orders.cursor
	}
	if err := w.db.SetJourneyCursorsLeased(ctx, w.lease, w.pb.Name, ob.cursors); err != nil {
		return false, err
	}
	return len(ids) > 0, nil
}

// conversions finds journeys whose goal was met: a goal event (an event row,
// or an order for order_placed) inside the window, or the goal CEL now true. Holdout journeys convert too; that is
// what lift compares.
func (w *worker) conversions(now time.Time, feats map[string]*customer.Features, events []customer.Event) map[string]time.Time {
	out := map[string]time.Time{}
	if w.pb.Goal == nil {
		return out
	}
	for _, ev := range events {
		st, ok := w.states[ev.CustomerID]
		if ok && w.pb.GoalEvent(&st, ev) {
			if at, seen := out[ev.CustomerID]; !seen || ev.OccurredAt.Before(at) {
				out[ev.CustomerID] = ev.OccurredAt
			}
		}
	}
	if w.pb.Goal.CEL != "" {
		for id, st := range w.states {
			if f := feats[id]; f != nil && w.pb.GoalMet(&st, f, now) {
				out[id] = now
			}
		}
	}
	return out
}

// tickFacts is what one tick found for the journeys it advances.
type tickFacts struct {
	// enrol are the customers entering now; triggers the event that
	// enrolled each of them (event triggers only).
	enrol    map[string]bool
	triggers map[string]customer.Event
	// convert are goal conversions and when they happened.
	convert map[string]time.Time
	// arrived are events a waitFor step may await (arrivals).
	arrived map[string][]customer.Event
}

// advance moves one batch of journeys in one transaction and returns the
// ledger rows to perform once it has committed.
func (w *worker) advance(ctx context.Context, now time.Time, ids []string, facts tickFacts,
	feats map[string]*customer.Features) ([]store.Delivery, error) {
	enrol, convert := facts.enrol, facts.convert
	var ds []store.Delivery
	var next []journey.State
	var batch *store.JourneyBatch
	unsub, err := w.loadUnsubscribes(ctx, ids)
	if err != nil {
		return nil, err
	}
	err = w.journeyTx(ctx, ids, journey.CapWindowStart(w.pb.FrequencyCap, now),
		func(sent map[string]int) (*store.JourneyBatch, error) {
			ds, next = ds[:0], next[:0]
			counters := map[string]int64{}
			for _, id := range ids {
				prev, had := w.states[id]
				st := prev
				f := feats[id]
				if f == nil {
					// The customer is gone from the source: no consent can be
					// shown, so every send is suppressed and the journey drains.
					f = &customer.Features{ID: id}
				}
				if enrol[id] {
					var p *journey.State
					if had {
						p = &prev
					}
					st = w.pb.Enrol(id, p, now)
					if ev, ok := facts.triggers[id]; ok {
						st.Event = journey.NewTriggerEvent(ev)
					}
					// A broadcast with a localTime waits for it in the member's zone.
					st.DueAt = w.pb.BroadcastDue(f, now)
					counters[counterEnrolled]++
				} else if at, ok := convert[id]; ok && !st.Converted {
					w.pb.Convert(&st, at)
				}
				// A waitFor resolves before the journey moves (an awaited event
				// that came before the timeout wins over it), and again when
				// this advance reached the waitFor (its event may be in this
				// tick's read already).
				w.resolveWait(&st, facts.arrived[id])
				var effs []journey.Effect
				st, effs = w.pb.Advance(st, journey.Input{Now: now, Customer: f, SentInWindow: sent[id], Winners: w.winners})
				if w.resolveWait(&st, facts.arrived[id]) {
					var more []journey.Effect
					st, more = w.pb.Advance(st, journey.Input{Now: now, Customer: f, SentInWindow: sent[id] + sendsIn(effs), Winners: w.winners})
					effs = append(effs, more...)
				}
				for _, e := range effs {
					if w.unsubscribed(unsub, id, e) {
						e.Kind, e.Reason = journey.EffectSuppress, ReasonUnsubscribed
					}
					if d, ok := w.ledgerRow(id, e, now); ok {
						ds = append(ds, d)
					}
					countEffect(counters, e)
				}
				next = append(next, st)
			}
			batch = &store.JourneyBatch{States: next, Deliveries: ds, Counters: counters}
			return batch, nil
		})
	if err != nil {
		return nil, err
	}
	// What the store wrote, which is what is performed: it drops customers
	// erased since this worker read them (store.JourneyTxLeased).
	for _, st := range batch.States {
		w.states[st.CustomerID] = st
	}
	return batch.Deliveries, nil
}

// ledgerRow turns a send or award effect into a ledger row (false for
// suppressions and deferrals, which are only counted).
func (w *worker) ledgerRow(id string, e journey.Effect, now time.Time) (store.Delivery, bool) {
	status := store.DeliveryPending
	if w.o.DryRun {
		status = store.DeliveryDryRun
	}
	d := store.Delivery{Key: e.Key, Namespace: w.pb.Namespace, Playbook: w.pb.Name, CustomerID: id, Step: e.Step,
		Status: status, CreatedAt: now}
	switch e.Kind {
	case journey.EffectSend:
		d.Kind, d.Channel, d.To = store.DeliveryMessage, e.Channel, e.Message.To
		d.Subject, d.Body, d.HTML = e.Message.Subject, e.Message.Body, e.Message.HTML
		d.Variant = e.Variant
	case journey.EffectAward:
		d.Kind, d.Channel, d.Points = store.DeliveryPoints, e.Program, e.Points
	default:
		return d, false
	}
	return d, true
}
