package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/journey"
)

// Variants are recorded with their ledger rows; the tallies count sent rows
// only and a conversion only when it came at or after the send; the first
// promotion of a step stands.
func TestVariantTalliesAndPromotion(t *testing.T) {
	forEachDialect(t, (*DB).MigrateJourney, func(t *testing.T, ctx context.Context, db *DB) {
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		var states []journey.State
		var ds []Delivery
		var ids []string
		// c0..c5 get variant a, c6..c9 variant b. Converted: c0, c1 (after
		// the send), c2 (before the send: not counted), c6.
		for i := 0; i < 10; i++ {
			id := fmt.Sprintf("c%d", i)
			ids = append(ids, id)
			st := journey.State{CustomerID: id, Enrolment: 1, Status: journey.Active, EnteredAt: now, DueAt: now}
			switch i {
			case 0, 1, 6:
				st.Converted, st.ConvertedAt = true, now.Add(time.Hour)
			case 2:
				st.Converted, st.ConvertedAt = true, now.Add(-time.Hour)
			}
			states = append(states, st)
			v := "a"
			if i >= 6 {
				v = "b"
			}
			ds = append(ds, Delivery{Key: "k" + id, Namespace: "ns", Playbook: "p", CustomerID: id, Step: "offer",
				Kind: DeliveryMessage, Channel: "mail", To: id + "@x", Status: DeliveryPending, CreatedAt: now, Variant: v})
		}
		// A send step without variants leaves no variant row.
		ds = append(ds, Delivery{Key: "plain", Namespace: "ns", Playbook: "p", CustomerID: "c0", Step: "hello",
			Kind: DeliveryMessage, Channel: "mail", Status: DeliveryPending, CreatedAt: now})
		if err := db.JourneyTx(ctx, "ns", "p", ids, now.Add(-time.Hour), func(map[string]int) (*JourneyBatch, error) {
			return &JourneyBatch{States: states, Deliveries: ds}, nil
		}); err != nil {
			t.Fatal(err)
		}
		// All sent except c5 (still pending) and c9 (failed).
		var outcomes []DeliveryOutcome
		for _, d := range ds {
			status := DeliverySent
			switch d.CustomerID + d.Step {
			case "c5offer":
				continue
			case "c9offer":
				status = DeliveryFailed
			}
			outcomes = append(outcomes, DeliveryOutcome{Key: d.Key, Status: status})
		}
		if err := db.MarkDeliveries(ctx, outcomes, now); err != nil {
			t.Fatal(err)
		}
		got, err := db.VariantTallies(ctx, "p")
		if err != nil {
			t.Fatal(err)
		}
		want := []VariantTally{{Step: "offer", Variant: "a", Sends: 5, Conversions: 2}, {Step: "offer", Variant: "b", Sends: 3, Conversions: 1}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("tallies %+v, want %+v", got, want)
		}
		p, err := db.PromoteVariant(ctx, "p", "offer", "a", now)
		if err != nil || p.Variant != "a" || !p.At.Equal(now) {
			t.Fatalf("promote a: %+v %v", p, err)
		}
		if p, err = db.PromoteVariant(ctx, "p", "offer", "b", now.Add(time.Hour)); err != nil || p.Variant != "a" || !p.At.Equal(now) {
			t.Fatalf("second promotion must not replace the first: %+v %v", p, err)
		}
		ps, err := db.VariantPromotions(ctx, "p")
		if err != nil || len(ps) != 1 || ps["offer"].Variant != "a" {
			t.Fatalf("promotions %+v %v", ps, err)
		}
	})
}
