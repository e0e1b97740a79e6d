package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/store/sqldb"
)

// Every commit that stores new events is followed by a notification on
// IngestNotifyChannel (sent after the commit, coalesced under a burst); a
// request that stores nothing new sends none.
func TestIngestNotifiesAfterCommits(t *testing.T) {
	url := sqldb.TestSchemaDSN(t)
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

	// Drain what the burst's coalesced notifications left, then store
	// only messages already stored: nothing new, no notification.
	time.Sleep(200 * time.Millisecond)
	select {
	case <-wake:
	default:
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
