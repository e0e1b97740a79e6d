package campaign

import (
	"context"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/store"
)

// storedSource is a memSource whose events carry the time they were stored,
// as the ingestion API's are; it records the storedSince of every read.
type storedSource struct {
	*memSource
	storedAt []time.Time // parallel to events
	reads    []time.Time
}

func (s *storedSource) add(ev customer.Event, stored time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, ev)
	s.storedAt = append(s.storedAt, stored)
}

func (s *storedSource) ScanRecentEvents(ctx context.Context, since, storedSince time.Time, _ bool, fn func(*customer.Event) error) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads = append(s.reads, storedSince)
	var latest time.Time
	for i := range s.events {
		if s.events[i].OccurredAt.Before(since) || s.storedAt[i].Before(storedSince) {
			continue
		}
		if s.storedAt[i].After(latest) {
			latest = s.storedAt[i]
		}
		if err := fn(&s.events[i]); err != nil {
			return time.Time{}, err
		}
	}
	return latest, nil
}

// A tick woken by the notification reads only what was stored since the
// last read (less recentMargin); an event whose commit came later than that
// is missed by the quick read and fires on the next poll tick (which goes
// back pollMargin), once; no event fires twice across the reads.
func TestWokenTickReadsOnlyRecentlyStoredEvents(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		recv := newReceiver(t, 0)
		start := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		clock := &stepClock{now: start, step: time.Second}
		src := &storedSource{memSource: &memSource{feats: customers(4)}}
		src.add(customer.Event{CustomerID: "cust-0000", Type: "cart", OccurredAt: start}, start)
		w := newShardWorker(t, withHook(t, recv.srv.URL, Options{Playbook: eventPlaybook("shop/recent", "cart"), DB: db, Source: src,
			Clock: clock.Now}))
		ctx := context.Background()
		tick := func(woken bool) {
			t.Helper()
			w.woken = woken
			if _, err := w.round(ctx); err != nil {
				t.Fatal(err)
			}
		}
		tick(false) // the first read is whole
		src.add(customer.Event{CustomerID: "cust-0001", Type: "cart", OccurredAt: start.Add(time.Second)}, start.Add(time.Second))
		tick(true)
		if got := src.reads; len(got) != 2 || !got[0].IsZero() || !got[1].Equal(start.Add(-recentMargin)) {
			t.Fatalf("reads from %v, want the whole window, then from %s", got, start.Add(-recentMargin))
		}
		// Committed late: stored 30 s before what was read, behind
		// recentMargin, inside pollMargin.
		src.add(customer.Event{CustomerID: "cust-0003", Type: "cart", OccurredAt: start.Add(-30 * time.Second)}, start.Add(-30*time.Second))
		tick(true)
		if got := recv.customers(); got["cust-0003"] != 0 || got["cust-0001"] != 1 {
			t.Fatalf("after a quick read: %v, want cust-0001 sent and the late commit not seen yet", got)
		}
		tick(false) // the poll tick goes back pollMargin
		if got := src.reads[len(src.reads)-1]; !got.Equal(start.Add(time.Second - pollMargin)) {
			t.Errorf("poll tick read from %s, want %s", got, start.Add(time.Second-pollMargin))
		}
		tick(true)
		tick(false)
		got, keys := recv.customers(), recv.keys()
		if got["cust-0000"] != 1 || got["cust-0001"] != 1 || got["cust-0003"] != 1 || len(keys) != 3 {
			t.Fatalf("messages per customer %v, keys %d: want one each for cust-0000, 0001 and 0003 (0002 has no consent)", got, len(keys))
		}
	})
}
