package campaign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
)

// eventRead is one poll's events plus what to record once the enrolments
// they caused have committed: the new cursor and the new events' ids.
type eventRead struct {
	// events are every event read (the overlap window included): goal
	// conversions are recorded once per journey, so re-reading is harmless
	// and catches an event read in the tick that enrolled its customer.
	events []customer.Event
	// fresh are the events not acted on before: only they fire triggers.
	fresh  []customer.Event
	cursor string
	ids    map[string]time.Time
	// pruneBefore is where the next poll's overlap window starts: ids older
	// than it are never read again and need not be remembered.
	pruneBefore time.Time
	// storedLatest is the latest stored time read (RecentEventsSource).
	storedLatest time.Time
}

// loadEvents reads events since the shard's event cursor minus
// Options.EventOverlap (needed by event triggers and event goals). The
// overlap catches events written late, with an occurred_at older than the
// newest event already read; the ids of events already acted on inside the
// window are remembered, so no event fires a trigger twice.
func (w *worker) loadEvents(ctx context.Context, now time.Time) (*eventRead, error) {
	dataEvents := w.pb.Trigger.Event != nil && w.pb.Trigger.Event.ProgramRef == ""
	goalEvents := w.pb.Goal != nil && w.pb.Goal.EventType != "" && !goalFromOrders(w.pb.Goal)
	// A waitFor step reads events too, order_placed included: it is seen as
	// an ingested track event as well as a row of the orders table.
	if !dataEvents && !goalEvents && len(w.pb.WaitForTypes()) == 0 {
		return &eventRead{}, nil
	}
	name := w.cursorName("events")
	last, err := w.db.JourneyCursor(ctx, w.pb.Name, name)
	if err != nil {
		return nil, err
	}
	since, maxAt := time.Time{}, time.Time{}
	if last != "" {
		maxAt, _ = time.Parse(time.RFC3339Nano, last)
		since = maxAt.Add(-w.o.EventOverlap)
	}
	done, err := w.doneEventIDs(ctx, name)
	if err != nil {
		return nil, err
	}
	r := &eventRead{ids: map[string]time.Time{}}
	read := map[string]bool{}
	r.storedLatest, err = w.scanEvents(ctx, since, func(ev *customer.Event) error {
		if journey.Shard(ev.CustomerID, w.o.Shards) != w.o.Shard || ev.OccurredAt.After(now) {
			return nil
		}
		id := eventID(ev)
		if read[id] {
			return nil
		}
		read[id] = true
		e := customer.Event{CustomerID: ev.CustomerID, Type: ev.Type, OccurredAt: ev.OccurredAt}
		if journey.EventFires(w.pb.Trigger.Event, e) {
			// Only a triggering event's properties are needed (the where
			// filter, the journey's copy); others are not kept in memory.
			e.Properties = ev.Properties
		}
		r.events = append(r.events, e)
		if _, acted := done[id]; !acted {
			r.fresh = append(r.fresh, e)
			r.ids[id] = ev.OccurredAt
		}
		if ev.OccurredAt.After(maxAt) {
			maxAt = ev.OccurredAt
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.cursor = maxAt.UTC().Format(time.RFC3339Nano)
	r.pruneBefore = maxAt.Add(-w.o.EventOverlap)
	return r, nil
}

// record saves the events' ids, then the cursor: a crash in between leaves
// the old cursor and re-reads events whose ids are already recorded.
func (w *worker) recordEvents(ctx context.Context, r *eventRead, cursors map[string]string) error {
	if r.cursor == "" {
		return nil
	}
	name := w.cursorName("events")
	// Only ids inside the next read's window matter: older events are never
	// read again (this keeps a first read of a long history from storing it).
	keep := make(map[string]time.Time, len(r.ids))
	for id, at := range r.ids {
		if !at.Before(r.pruneBefore) {
			keep[id] = at
		}
	}
	prune := w.pruneDue(r.pruneBefore)
	if err := w.db.RecordJourneyEventIDs(ctx, w.lease, w.pb.Name, name, keep, prune); err != nil {
		return err
	}
	w.rememberEvents(r, keep, prune)
	cursors[name] = r.cursor
	return nil
}

// eventID identifies an event by its content (data sources' event tables
// have no id column): customer, type, occurred_at and properties. Two rows
// identical in all of these count as one event.
func eventID(ev *customer.Event) string {
	h := sha256.New()
	for _, s := range []string{ev.CustomerID, ev.Type, strconv.FormatInt(ev.OccurredAt.UnixNano(), 10)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	keys := slices.Sorted(maps.Keys(ev.Properties))
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{1})
		h.Write([]byte(ev.Properties[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
