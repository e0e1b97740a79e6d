package campaign

import (
	"context"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// RecentEventsSource is a Source that knows when each event was stored (the
// ingestion API's events, store.ScanIngestedEventsReceived). A tick reads
// only the events stored since the last read, not the whole overlap window
// again: at 1000 events/s a 15-minute window is 900k rows, read on every
// tick. A woken tick goes back recentMargin, a tick on the poll interval
// pollMargin (catching what a quick read missed) and reads the data
// source's own events over the whole window; event ids keep anything from
// acting twice.
type RecentEventsSource interface {
	Source
	// ScanRecentEvents calls fn for the stored events with occurred_at >=
	// since that were stored at or after storedSince (the zero storedSince
	// means all), plus, with others, every event since since from where no
	// stored time is kept (the data source's own events table). It returns
	// the latest stored time among the rows read (zero when none).
	ScanRecentEvents(ctx context.Context, since, storedSince time.Time, others bool, fn func(*customer.Event) error) (time.Time, error)
}

// recentMargin is how far before the latest stored time already read a
// quick read starts again. An ingest call stores its events in one
// transaction that commits while the call is open, normally within
// milliseconds; the margin covers a slow commit and small clock differences
// between ingestion replicas. Anything later still is read by the next poll
// tick (--poll-interval) over the whole window.
const recentMargin = 5 * time.Second

// pollMargin is the same for a tick on the poll interval, which reads the
// data source's own events over the whole overlap window but the stored
// events only from a minute before the latest read: twice the ingestion
// API's 30 s write timeout, so a call still open that long has failed for
// its sender (who retries). Reading the whole window instead would cost 900k
// rows at 1000 events/s and stall the sends behind it for seconds.
const pollMargin = time.Minute

// eventMemo is what a shard's worker remembers between ticks about events:
// the ids already acted on inside the overlap window (the store's
// journey_event_ids for the shard's cursor, which only the shard's holder
// writes, so the copy stays exact while the worker lives) and the latest
// stored time read and recorded.
type eventMemo struct {
	done       map[string]time.Time
	storedUpTo time.Time
	// prunedBefore is where the ids were last pruned (pruneDue).
	prunedBefore time.Time
}

// eventIDPruneEvery is how far the overlap window moves between two prunes
// of the remembered event ids. Pruning reads every id of the window (at
// 1,000 events/s a 15-minute window holds 900k), so doing it on every
// woken tick would make a tick's cost grow with the window; ids kept a
// little longer only take space, as their events are never read again.
const eventIDPruneEvery = time.Minute

// pruneDue returns pruneBefore when the ids are due for a prune (the
// shard's first record, or the window moved eventIDPruneEvery since the
// last one), else the zero time: prune nothing.
func (w *worker) pruneDue(pruneBefore time.Time) time.Time {
	if w.events != nil && pruneBefore.Sub(w.events.prunedBefore) < eventIDPruneEvery {
		return time.Time{}
	}
	return pruneBefore
}

// doneEventIDs returns the ids acted on inside the window: read from the
// store once per shard worker, then kept up to date by rememberEvents.
func (w *worker) doneEventIDs(ctx context.Context, cursor string) (map[string]time.Time, error) {
	if w.events != nil {
		return w.events.done, nil
	}
	done, err := w.db.JourneyEventIDTimes(ctx, w.pb.Name, cursor)
	if err != nil {
		return nil, err
	}
	w.events = &eventMemo{done: done}
	return done, nil
}

// scanEvents reads this tick's events when the source can tell when they
// were stored: a woken tick only the stored events since the last read
// (less recentMargin), a poll tick the source's other events too and the
// stored ones less pollMargin, the shard's first tick everything since
// since. It returns the latest stored time read.
func (w *worker) scanEvents(ctx context.Context, since time.Time, fn func(*customer.Event) error) (time.Time, error) {
	rs, ok := w.o.Source.(RecentEventsSource)
	if !ok {
		return time.Time{}, w.o.Source.ScanEvents(ctx, since, fn)
	}
	storedSince, others := time.Time{}, true
	if w.events != nil && !w.events.storedUpTo.IsZero() {
		storedSince = w.events.storedUpTo.Add(-pollMargin)
		if w.woken {
			storedSince, others = w.events.storedUpTo.Add(-recentMargin), false
		}
	}
	return rs.ScanRecentEvents(ctx, since, storedSince, others, fn)
}

// rememberEvents updates the memo once the ids are recorded in the store
// (and pruned before prune, unless it is zero).
func (w *worker) rememberEvents(r *eventRead, keep map[string]time.Time, prune time.Time) {
	if w.events == nil {
		return
	}
	for id, at := range keep {
		w.events.done[id] = at
	}
	if !prune.IsZero() {
		for id, at := range w.events.done {
			if at.Before(prune) {
				delete(w.events.done, id)
			}
		}
		w.events.prunedBefore = prune
	}
	if r.storedLatest.After(w.events.storedUpTo) {
		w.events.storedUpTo = r.storedLatest
	}
}
