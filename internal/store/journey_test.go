package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// forEachDialect runs body as a subtest per dialect on a fresh store,
// migrated by migrate first (nil: not migrated).
func forEachDialect(t *testing.T, migrate func(*DB, context.Context) error, body func(t *testing.T, ctx context.Context, db *DB)) {
	for name, open := range testdb.Each(Open) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := open(t)
			if migrate != nil {
				if err := migrate(db, ctx); err != nil {
					t.Fatal(err)
				}
			}
			body(t, ctx, db)
		})
	}
}

// migrations runs each of ms in order: the migrate of a test that needs the
// tables of several components.
func migrations(ms ...func(*DB, context.Context) error) func(*DB, context.Context) error {
	return func(db *DB, ctx context.Context) error { return db.migrateInOrder(ctx, ms...) }
}

func TestJourneyStoreRoundTrip(t *testing.T) {
	forEachDialect(t, (*DB).MigrateJourney, func(t *testing.T, ctx context.Context, db *DB) {
		if err := db.MigrateJourney(ctx); err != nil { // idempotent
			t.Fatal(err)
		}
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		st := journey.State{CustomerID: "c1", Enrolment: 2, Step: 1, StepName: "wait", Status: journey.Active, Waiting: true,
			Holdout: true, EnteredAt: now, DueAt: now.Add(time.Hour), Sends: 1}
		d := Delivery{Key: "k1", Namespace: "ns", Playbook: "p", CustomerID: "c1", Step: "hello", Kind: DeliveryMessage,
			Channel: "mail", To: "c1@x", Subject: "S", Body: "B", Status: DeliveryPending, CreatedAt: now}
		err := db.JourneyTx(ctx, "ns", "p", []string{"c1"}, now.Add(-time.Hour), func(sent map[string]int) (*JourneyBatch, error) {
			if sent["c1"] != 0 {
				t.Errorf("sent before any delivery: %v", sent)
			}
			return &JourneyBatch{States: []journey.State{st}, Deliveries: []Delivery{d},
				Counters: map[string]int64{"suppressed/consent": 2}, Seen: map[string]journey.Seen{"c1": "1"}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Replaying the same batch changes nothing in the ledger and adds to counters.
		if err := db.JourneyTx(ctx, "ns", "p", []string{"c1"}, now.Add(-time.Hour), func(sent map[string]int) (*JourneyBatch, error) {
			if sent["c1"] != 1 {
				t.Errorf("pending row not counted for cap: %v", sent)
			}
			d2 := d
			d2.Body = "changed"
			return &JourneyBatch{Deliveries: []Delivery{d2}, Counters: map[string]int64{"suppressed/consent": 1}}, nil
		}); err != nil {
			t.Fatal(err)
		}
		states, err := db.LoadJourneyStates(ctx, "p", 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := states["c1"]; got != st {
			t.Fatalf("state round trip:\n got %+v\nwant %+v", got, st)
		}
		// The triggering event rides with the state (both dialects'
		// write paths) and reads back equal.
		withEvent := journey.State{CustomerID: "c2", Enrolment: 1, StepName: "wait-for-order", Status: journey.Active,
			Waiting: true, EnteredAt: now, DueAt: now.Add(2 * time.Hour),
			Event: journey.NewTriggerEvent(customer.Event{Type: "cart_updated", OccurredAt: now.Add(-time.Minute),
				Properties: map[string]string{"total": "54.5", "items": `[{"name":"Blue Mug"}]`}})}
		if err := db.JourneyTx(ctx, "ns", "p", []string{"c2"}, now, func(map[string]int) (*JourneyBatch, error) {
			return &JourneyBatch{States: []journey.State{withEvent}}, nil
		}); err != nil {
			t.Fatal(err)
		}
		states, err = db.LoadJourneyStates(ctx, "p", 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := states["c2"]; !reflect.DeepEqual(got.Event, withEvent.Event) || got.StepName != "wait-for-order" || states["c1"].Event != nil {
			t.Fatalf("triggering event round trip:\n got %+v\nwant %+v", got.Event, withEvent.Event)
		}
		pend, err := db.PendingDeliveries(ctx, "p", 0, 1)
		if err != nil || len(pend) != 1 || pend[0].Body != "B" || pend[0].To != "c1@x" || !pend[0].CreatedAt.Equal(now) {
			t.Fatalf("pending: %+v %v", pend, err)
		}
		if err := db.MarkDeliveries(ctx, []DeliveryOutcome{{Key: "k1", Status: DeliverySent}}, now); err != nil {
			t.Fatal(err)
		}
		if pend, _ := db.PendingDeliveries(ctx, "p", 0, 1); len(pend) != 0 {
			t.Fatalf("still pending: %+v", pend)
		}
		counts, _ := db.DeliveryCounts(ctx, "p")
		if counts["message/sent"] != 1 || len(counts) != 1 {
			t.Fatalf("counts %v", counts)
		}
		ctrs, _ := db.JourneyCounters(ctx, "p")
		if ctrs["suppressed/consent"] != 3 {
			t.Fatalf("counters %v", ctrs)
		}
		// Another playbook in the namespace sees the send for its cap; outside the window it does not.
		for since, want := range map[time.Time]int{now.Add(-time.Minute): 1, now: 0} {
			db.JourneyTx(ctx, "ns", "other", []string{"c1"}, since, func(sent map[string]int) (*JourneyBatch, error) { //nolint:errcheck
				if sent["c1"] != want {
					t.Errorf("cap count since %s = %d, want %d", since, sent["c1"], want)
				}
				return nil, nil
			})
		}
		if err := db.SetJourneyCursor(ctx, "p", "schedule", "2026-05-01T09:00:00Z"); err != nil {
			t.Fatal(err)
		}
		if v, err := db.JourneyCursor(ctx, "p", "schedule"); err != nil || v != "2026-05-01T09:00:00Z" {
			t.Fatalf("cursor %q %v", v, err)
		}
		if v, err := db.JourneyCursor(ctx, "p", "none"); err != nil || v != "" {
			t.Fatalf("unset cursor %q %v", v, err)
		}
	})
}

func TestJourneyShardsPartitionCustomers(t *testing.T) {
	forEachDialect(t, (*DB).MigrateJourney, func(t *testing.T, ctx context.Context, db *DB) {
		var states []journey.State
		var ids []string
		for i := 0; i < 500; i++ {
			id := fmt.Sprintf("cust-%d", i)
			ids = append(ids, id)
			states = append(states, journey.State{CustomerID: id, Enrolment: 1, Status: journey.Active})
		}
		if err := db.JourneyTx(ctx, "ns", "p", ids, time.Time{}, func(map[string]int) (*JourneyBatch, error) {
			return &JourneyBatch{States: states}, nil
		}); err != nil {
			t.Fatal(err)
		}
		owner := map[string]int{}
		for shard := 0; shard < 3; shard++ {
			got, err := db.LoadJourneyStates(ctx, "p", shard, 3)
			if err != nil {
				t.Fatal(err)
			}
			for id := range got {
				if prev, dup := owner[id]; dup {
					t.Fatalf("%s in shards %d and %d", id, prev, shard)
				}
				if journey.Shard(id, 3) != shard {
					t.Fatalf("%s loaded by shard %d, engine says %d", id, shard, journey.Shard(id, 3))
				}
				owner[id] = shard
			}
		}
		if len(owner) != 500 {
			t.Fatalf("shards cover %d of 500", len(owner))
		}
	})
}

func TestMembershipDiff(t *testing.T) {
	forEachDialect(t, (*DB).MigrateJourney, func(t *testing.T, ctx context.Context, db *DB) {
		if err := db.ReplaceMembership(ctx, "lapsed", []string{"a", "b", "c"}); err != nil {
			t.Fatal(err)
		}
		db.JourneyTx(ctx, "ns", "p", nil, time.Time{}, func(map[string]int) (*JourneyBatch, error) { //nolint:errcheck
			return &JourneyBatch{Seen: map[string]journey.Seen{"a": "1", "z": "1", "b": "0"}}, nil
		})
		entered, left, err := db.MembershipDiff(ctx, "lapsed", "p")
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(entered) != "[b c]" || fmt.Sprint(left) != "[z]" {
			t.Fatalf("entered %v left %v", entered, left)
		}
	})
}
