package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/journey"
)

// Three replicas share four shards fairly (ceil(4/3) = 2 at most each), a
// crashed replica's shards go to the others once its lease expires, a
// replica that lost its lease cannot commit, and leases of another shard
// count block claims until released.
func TestShardLeases(t *testing.T) {
	forEachDialect(t, migrations((*DB).MigrateJourney, (*DB).MigrateShardLeases), func(t *testing.T, ctx context.Context, db *DB) {
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		req := func(holder string, at time.Time) ShardLeaseRequest {
			return ShardLeaseRequest{Playbook: "shop/p", Shards: 4, Holder: holder, Now: at, TTL: 10 * time.Second}
		}
		claim := func(holder string, at time.Time) []int {
			t.Helper()
			held, _, err := db.ClaimShards(ctx, req(holder, at))
			if err != nil {
				t.Fatal(err)
			}
			return held
		}
		// a alone takes all 4; b and c join and a gives back down to 2.
		if got := claim("a", t0); !reflect.DeepEqual(got, []int{0, 1, 2, 3}) {
			t.Fatalf("a alone holds %v, want all 4", got)
		}
		if got := claim("b", t0); got != nil {
			t.Fatalf("b holds %v while a holds everything, want none", got)
		}
		claim("c", t0)
		// live = 3 now: target 2.
		if got := claim("a", t0.Add(time.Second)); !reflect.DeepEqual(got, []int{0, 1}) {
			t.Fatalf("a after others joined holds %v, want [0 1]", got)
		}
		if got := claim("b", t0.Add(time.Second)); !reflect.DeepEqual(got, []int{2, 3}) {
			t.Fatalf("b holds %v, want [2 3]", got)
		}
		if got := claim("c", t0.Add(time.Second)); got != nil {
			t.Fatalf("c holds %v, want none (all taken)", got)
		}
		guard := &ShardLease{Playbook: "shop/p", Shard: 2, Shards: 4, Holder: "b", Now: func() time.Time { return t0.Add(2 * time.Second) }}
		write := func(l *ShardLease) error {
			return db.JourneyTxLeased(ctx, l, "shop", "shop/p", []string{"x"}, t0, func(map[string]int) (*JourneyBatch, error) {
				return &JourneyBatch{Seen: map[string]journey.Seen{"x": "1"}}, nil
			})
		}
		if err := write(guard); err != nil {
			t.Fatalf("holder b writing shard 2: %v", err)
		}
		// b crashes (no renewal); a and c keep renewing. After b's TTL, c takes b's shards.
		claim("a", t0.Add(6*time.Second))
		claim("c", t0.Add(6*time.Second))
		later := t0.Add(12 * time.Second)
		if got := claim("a", later); !reflect.DeepEqual(got, []int{0, 1}) {
			t.Fatalf("a after b died holds %v, want [0 1]", got)
		}
		if got := claim("c", later); !reflect.DeepEqual(got, []int{2, 3}) {
			t.Fatalf("c after b died holds %v, want [2 3]", got)
		}
		guard.Now = func() time.Time { return later }
		if err := write(guard); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("b writing after losing shard 2: err %v, want ErrLeaseLost", err)
		}
		if err := db.SetJourneyCursorsLeased(ctx, guard, "shop/p", map[string]string{"events/2/4": "x"}); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("b moving a cursor after losing shard 2: err %v, want ErrLeaseLost", err)
		}
		cGuard := &ShardLease{Playbook: "shop/p", Shard: 2, Shards: 4, Holder: "c", Now: func() time.Time { return later }}
		if err := db.SetJourneyCursorsLeased(ctx, cGuard, "shop/p", map[string]string{"events/2/4": "y"}); err != nil {
			t.Fatalf("c moving its cursor: %v", err)
		}
		if v, err := db.JourneyCursor(ctx, "shop/p", "events/2/4"); err != nil || v != "y" {
			t.Fatalf("cursor %q (%v), want y", v, err)
		}
		// A replica started with another shard count waits for the old leases.
		held, _, err := db.ClaimShards(ctx, ShardLeaseRequest{Playbook: "shop/p", Shards: 2, Holder: "d", Now: later, TTL: 10 * time.Second})
		if err != nil || held != nil {
			t.Fatalf("d (2 shards) while 4-shard leases live: held %v err %v, want none", held, err)
		}
		for _, h := range []string{"a", "c"} {
			if err := db.ReleaseShards(ctx, "shop/p", h); err != nil {
				t.Fatal(err)
			}
		}
		held, _, err = db.ClaimShards(ctx, ShardLeaseRequest{Playbook: "shop/p", Shards: 2, Holder: "d", Now: later, TTL: 10 * time.Second})
		if err != nil || !reflect.DeepEqual(held, []int{0, 1}) {
			t.Fatalf("d after release: held %v err %v, want [0 1]", held, err)
		}
	})
}
