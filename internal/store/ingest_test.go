package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// Every commit that stores new events is followed by a notification on
// IngestNotifyChannel (sent after the commit, coalesced under a burst); a
// request that stores nothing new sends none.
func TestIngestNotifiesAfterCommits(t *testing.T) {
	url := testdb.Postgres(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.MigrateIngest(ctx); err != nil {
		t.Fatal(err)
	}
	// Notifications are database-wide: a source of this test's own keeps
	// other tests' ingests out.
	source := fmt.Sprintf("notify-test/%d", time.Now().UnixNano())
	wake := make(chan struct{}, 1)
	listening := make(chan error, 1)
	go func() { listening <- ListenIngested(ctx, url, source, wake) }()
	awaitWake := func(what string) {
		t.Helper()
		select {
		case <-wake:
		case err := <-listening:
			t.Fatalf("%s: listener stopped: %v", what, err)
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no notification within 5s", what)
		}
	}
	awaitWake("after LISTEN") // the listener's own first signal

	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	event := func(id string) []IngestedEvent {
		return []IngestedEvent{{MessageID: id, Type: "track", Name: "cart_updated", UserID: "u1", OccurredAt: at, ReceivedAt: at}}
	}
	for i := range 3 {
		if _, err := db.StoreIngested(ctx, source, event(fmt.Sprint("one-", i)), nil); err != nil {
			t.Fatal(err)
		}
		awaitWake(fmt.Sprintf("store %d", i))
	}

	// A burst from many requests at once: all commit, and a notification
	// follows.
	var wg sync.WaitGroup
	errs := make(chan error, 8*25)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				if _, err := db.StoreIngested(ctx, source, event(fmt.Sprintf("burst-%d-%d", g, i)), nil); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	awaitWake("after the burst")

	// Drain what the burst's coalesced notifications left (until none has
	// come for 500ms: a slow machine may still be sending them), then store
	// only messages already stored: nothing new, no notification.
	for quiet := false; !quiet; {
		select {
		case <-wake:
		case <-time.After(500 * time.Millisecond):
			quiet = true
		}
	}
	if n, err := db.StoreIngested(ctx, source, event("one-0"), nil); err != nil || n != 0 {
		t.Fatalf("a repeated message stored %d (%v), want 0", n, err)
	}
	select {
	case <-wake:
		t.Fatal("a request that stored nothing new sent a notification")
	case <-time.After(500 * time.Millisecond):
	}
}

// Both dialects store a request's messages once per (source, messageId),
// keep sources apart, read track events back in time order with their
// properties, and merge identify traits newest-wins.
func TestStoreIngestedBothDialects(t *testing.T) {
	forEachDialect(t, (*DB).MigrateIngest, func(t *testing.T, ctx context.Context, db *DB) {
		t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
		var evs []IngestedEvent
		for i := 0; i < 2500; i++ { // over one statement's rows on SQLite
			evs = append(evs, IngestedEvent{MessageID: fmt.Sprint("m", i), Type: "track", Name: "cart_updated",
				UserID: fmt.Sprint("u", i%7), OccurredAt: t0.Add(time.Duration(2500-i) * time.Second), ReceivedAt: t0,
				Properties: json.RawMessage(fmt.Sprintf(`{"n":%d,"sku":"mug"}`, i))})
		}
		yes, no := true, false
		traits := []TraitUpdate{
			{CustomerID: "u1", Contact: Contact{Email: "new@example.com", ConsentEmail: &yes}, Attributes: json.RawMessage(`{"plan":"gold"}`), At: t0},
			{CustomerID: "u1", Contact: Contact{Email: "old@example.com", ConsentEmail: &no}, Attributes: json.RawMessage(`{"plan":"free"}`), At: t0.Add(-time.Hour)},
			{CustomerID: "u1", Contact: Contact{TimeZone: "Europe/Paris"}, Attributes: json.RawMessage(`{"city":"Lyon"}`), At: t0.Add(time.Hour)},
		}
		for round := 0; round < 2; round++ {
			added, err := db.StoreIngested(ctx, "shop/web", evs, traits)
			if err != nil {
				t.Fatal(err)
			}
			if want := int64(2500 * (1 - round)); added != want {
				t.Errorf("round %d added %d, want %d", round, added, want)
			}
		}
		if _, err := db.StoreIngested(ctx, "shop/other", evs[:1], nil); err != nil {
			t.Fatal(err)
		}
		var read []customer.Event
		if err := db.ScanIngestedEvents(ctx, "shop/web", t0.Add(2400*time.Second), func(e *customer.Event) error {
			read = append(read, *e)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// Occurred at t0+2400s..t0+2500s: messages 0..100, oldest first.
		if len(read) != 101 || read[0].Properties["n"] != "100" || read[100].Properties["n"] != "0" || read[0].Properties["sku"] != "mug" {
			t.Fatalf("read %d events, first %+v", len(read), read[0])
		}
		var got []Traits
		if err := db.IngestedTraits(ctx, "shop/web", func(tr *Traits) error { got = append(got, *tr); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Email != "new@example.com" || got[0].ConsentEmail == nil || !*got[0].ConsentEmail ||
			got[0].TimeZone != "Europe/Paris" || got[0].Attributes["plan"] != "gold" || got[0].Attributes["city"] != "Lyon" {
			t.Errorf("traits %+v", got)
		}
	})
}
