package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/journey"
)

// TestSweepDeliveryContent: rows older than the retention period lose
// address, subject and bodies, in batches of at most the limit; younger
// rows, pending rows and other playbooks' rows keep theirs; every row, key,
// status and the playbook's counts stay.
func TestSweepDeliveryContent(t *testing.T) {
	forEachDialect(t, (*DB).MigrateJourney, func(t *testing.T, ctx context.Context, db *DB) {
		now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		cutoff := now.Add(-30 * 24 * time.Hour)
		type row struct {
			playbook string
			age      time.Duration
			status   string
			swept    bool
		}
		var rows []row
		// 7 old finished rows (3 statuses), 2 old pending, 3 young sent, 2 old of another playbook.
		for i := 0; i < 7; i++ {
			rows = append(rows, row{"shop/a", 31*24*time.Hour + time.Duration(i)*time.Hour, []string{DeliverySent, DeliveryFailed, DeliveryDryRun}[i%3], true})
		}
		rows = append(rows, row{"shop/a", 40 * 24 * time.Hour, DeliveryPending, false}, row{"shop/a", 45 * 24 * time.Hour, DeliveryPending, false})
		for i := 0; i < 3; i++ {
			rows = append(rows, row{"shop/a", 29 * 24 * time.Hour, DeliverySent, false})
		}
		rows = append(rows, row{"shop/b", 60 * 24 * time.Hour, DeliverySent, false}, row{"shop/b", 61 * 24 * time.Hour, DeliverySent, false})
		var ds []Delivery
		for i, r := range rows {
			id := fmt.Sprintf("c%02d", i)
			ds = append(ds, Delivery{Key: journey.IdempotencyKey(r.playbook, id, 1, "s"), Namespace: "shop", Playbook: r.playbook,
				CustomerID: id, Step: "s", Kind: DeliveryMessage, Channel: "email", To: id + "@example.org",
				Subject: "Hi " + id, Body: "body " + id, HTML: "<p>" + id + "</p>", Status: r.status, CreatedAt: now.Add(-r.age)})
		}
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := insertDeliveries(ctx, tx, ds); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		countsBefore, err := db.DeliveryCounts(ctx, "shop/a")
		if err != nil {
			t.Fatal(err)
		}

		var batches []int64
		for {
			n, err := db.SweepDeliveryContent(ctx, "shop/a", cutoff, 3)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			batches = append(batches, n)
		}
		if !reflect.DeepEqual(batches, []int64{3, 3, 1}) {
			t.Fatalf("sweep batches %v, want [3 3 1] (7 old finished rows, limit 3)", batches)
		}
		for i, r := range rows {
			var to, subject, body, html, status, customer string
			if err := db.QueryRow(ctx, `SELECT recipient, subject, body, html, status, customer_id FROM delivery_ledger
				WHERE idempotency_key = $1`, ds[i].Key).Scan(&to, &subject, &body, &html, &status, &customer); err != nil {
				t.Fatalf("row %d (key kept?): %v", i, err)
			}
			empty := to == "" && subject == "" && body == "" && html == ""
			if empty != r.swept {
				t.Errorf("row %d %+v: content cleared = %v, want %v", i, r, empty, r.swept)
			}
			if !r.swept && (to != ds[i].To || body != ds[i].Body) {
				t.Errorf("row %d %+v: content changed: %q %q", i, r, to, body)
			}
			if status != r.status || customer != ds[i].CustomerID {
				t.Errorf("row %d: status %q customer %q, want %q %q", i, status, customer, r.status, ds[i].CustomerID)
			}
		}
		countsAfter, err := db.DeliveryCounts(ctx, "shop/a")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(countsBefore, countsAfter) || countsAfter["message/sent"] != 6 {
			t.Fatalf("counts moved: before %v after %v", countsBefore, countsAfter)
		}
	})
}

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
