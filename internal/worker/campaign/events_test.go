package campaign

import (
	"context"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
)

// eventPlaybook says "Hi" once on channel "hook" to whoever has an event of
// type typ; re-entry is allowed at once, so an event read twice would enrol
// (and send) twice.
func eventPlaybook(name, typ string) journey.Config {
	return journey.Config{Name: name, Namespace: "shop",
		Trigger: journey.Trigger{Event: &journey.EventTrigger{Type: typ}},
		Reentry: journey.Reentry{After: time.Nanosecond},
		Steps: []journey.Step{{Name: "hi", Send: &journey.SendStep{ChannelRef: "hook",
			Template: journey.Template{Subject: "Hi", Body: "Hi"}}}}}
}

// An event written late (occurred_at older than the newest event already
// read) still fires its trigger within two polls, and no event fires twice,
// even with re-entry allowed (a re-read event would enrol again).
func TestLateEventFiresOnceWithinTwoPolls(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		recv := newReceiver(t, 0)
		start := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		clock := &stepClock{now: start, step: time.Second}
		feats := customers(4)
		src := &memSource{feats: feats, events: []customer.Event{
			{CustomerID: "cust-0000", Type: "app_open", OccurredAt: start.Add(-time.Minute)},
			// Older than the overlap window behind the newest event: it
			// fires once and its id need not be kept.
			{CustomerID: "cust-0003", Type: "app_open", OccurredAt: start.Add(-2 * time.Hour)},
		}}
		cfg := eventPlaybook("shop/late", "app_open")
		w := newShardWorker(t, withHook(t, recv.srv.URL, Options{Playbook: cfg, DB: db, Source: src, Clock: clock.Now}))
		ctx := context.Background()
		poll := func() {
			t.Helper()
			if _, err := w.round(ctx); err != nil {
				t.Fatal(err)
			}
		}
		poll()
		// Written after the first poll, but it happened before the
		// newest event that poll read.
		src.mu.Lock()
		src.events = append(src.events, customer.Event{CustomerID: "cust-0001", Type: "app_open", OccurredAt: start.Add(-5 * time.Minute)})
		src.mu.Unlock()
		poll()
		got := recv.customers()
		if got["cust-0001"] != 1 {
			t.Fatalf("late event: cust-0001 received %d messages after two polls, want 1 (all: %v)", got["cust-0001"], got)
		}
		poll()
		poll()
		got, keys := recv.customers(), recv.keys()
		if got["cust-0000"] != 1 || got["cust-0001"] != 1 || got["cust-0003"] != 1 || len(keys) != 3 {
			t.Fatalf("after four polls: messages per customer %v, %d keys; want one each for cust-0000, 0001 and 0003", got, len(keys))
		}
		ids, err := db.JourneyEventIDs(ctx, cfg.Name, w.cursorName("events"))
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 2 {
			t.Errorf("%d event ids remembered, want the 2 inside the overlap window", len(ids))
		}
		for k, n := range keys {
			if n != 1 {
				t.Errorf("key %s received %d times", k, n)
			}
		}
	})
}
