package store

import (
	"context"
	"testing"
	"time"
)

// The shared bucket grants burst tokens at once, then one per 1/perSecond,
// whoever asks, and refills to burst (not beyond) while idle.
func TestReserveChannelToken(t *testing.T) {
	forEachDialect(t, (*DB).MigrateChannelRates, func(t *testing.T, ctx context.Context, db *DB) {
		reserve := func() time.Duration {
			t.Helper()
			d, err := db.ReserveChannelToken(ctx, "shop/hook", 10, 2)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		// Burst 2: two at once, the third waits ~100ms, the fourth ~200ms,
		// less the time that has passed since the first reservation (on
		// a loaded machine the reservations themselves take a while, and
		// the bucket refills meanwhile).
		start := time.Now()
		for i, want := range []time.Duration{0, 0, 100 * time.Millisecond, 200 * time.Millisecond} {
			got := reserve()
			if floor := want - time.Since(start) - 5*time.Millisecond; got > want || got < floor {
				t.Fatalf("reservation %d waits %v, want between %v and %v", i+1, got, floor, want)
			}
		}
		// Idle long enough to refill more than burst: only burst is there.
		time.Sleep(600 * time.Millisecond)
		if a, b, c := reserve(), reserve(), reserve(); a != 0 || b != 0 || c == 0 {
			t.Fatalf("after a refill: waits %v %v %v, want 0 0 and > 0", a, b, c)
		}
	})
}
