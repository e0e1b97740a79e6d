package store

import (
	"context"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/journey"
)

// A round's trigger observations name customers with no journey yet (so no
// customer lock of the round's): an erasure that commits before the round
// writes them, or while the round's transaction is open, still leaves no
// journey_seen row under the id. TestForgetWhileRunning showed the second
// case as a flake: the row came back after Forget.
func TestErasedObservationsAreNotWrittenBack(t *testing.T) {
	forEachDialect(t, (*DB).MigrateJourney, func(t *testing.T, ctx context.Context, db *DB) {
		const playbook = "shop/series"
		now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		seen := func(id string) int {
			t.Helper()
			var n int
			if err := db.QueryRow(ctx, `SELECT count(*) FROM journey_seen WHERE customer_id = $1`, id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		observe := func(during func(), ids ...string) {
			t.Helper()
			obs := map[string]journey.Seen{}
			for _, id := range ids {
				obs[id] = "1"
			}
			if err := db.JourneyTx(ctx, "shop", playbook, nil, now, func(map[string]int) (*JourneyBatch, error) {
				during()
				return &JourneyBatch{Seen: obs}, nil
			}); err != nil {
				t.Fatal(err)
			}
		}

		// Erased before the round writes: the observation is dropped, the
		// other customer's kept.
		if _, err := db.Forget(ctx, "ada", now); err != nil {
			t.Fatal(err)
		}
		observe(func() {}, "ada", "bob")
		if seen("ada") != 0 || seen("bob") != 1 {
			t.Fatalf("after an earlier erasure: ada %d rows, bob %d; want 0 and 1", seen("ada"), seen("bob"))
		}

		// Erased while the round's transaction is open: the erasure waits
		// for it and then deletes what it wrote.
		forgot := make(chan error, 1)
		observe(func() {
			go func() {
				_, err := db.Forget(ctx, "cy", now)
				forgot <- err
			}()
			time.Sleep(300 * time.Millisecond) // Forget has had time to run, were it not held back
		}, "cy")
		if err := <-forgot; err != nil {
			t.Fatal(err)
		}
		if n := seen("cy"); n != 0 {
			t.Fatalf("erased during the round: %d journey_seen rows for cy; want 0", n)
		}
	})
}
