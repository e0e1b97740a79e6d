package campaign

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/segment"
	"github.com/retention-dev/retention-operator/internal/store"
)

// pointsLedger opens a loyalty ledger (1 point per unit, silver from 100
// points) in db and applies orders: cust-0000 150 -> silver with 150 points,
// cust-0001 40 -> 40 points and no tier, cust-0003 120 -> silver with 120.
func pointsLedger(t *testing.T, db *store.DB, now time.Time) *store.Points {
	t.Helper()
	cfg := loyalty.Config{Currency: "EUR", PointValue: 0.01, EarnRules: loyalty.EarnRules{PointsPerUnit: 1},
		Tiers: []loyalty.Tier{{Name: "silver", Threshold: 100, Basis: "points", Window: loyaltyDays(365)}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	p, err := store.OpenPoints(context.Background(), db, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []customer.Order{
		{CustomerID: "cust-0000", OrderID: "o1", Amount: 150, OccurredAt: now.Add(-48 * time.Hour)},
		{CustomerID: "cust-0001", OrderID: "o2", Amount: 40, OccurredAt: now.Add(-48 * time.Hour)},
		{CustomerID: "cust-0003", OrderID: "o3", Amount: 120, OccurredAt: now.Add(-48 * time.Hour)},
	} {
		if _, err := p.ApplyOrder(context.Background(), &o, now.Add(-47*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// Loyalty tier and points from the ledger in the state store reach segment
// criteria (customer.loyaltyTier) and templates ({{.loyaltyPoints}}).
func TestLoyaltyFeaturesFromLedger(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		p := pointsLedger(t, db, now)
		prog, err := segment.Compile(`customer.loyaltyTier == "silver"`)
		if err != nil {
			t.Fatal(err)
		}
		recv := newReceiver(t, 0)
		cfg := onEntry("shop/vip", "thanks", "hook", journey.Template{Subject: "Thanks", Body: "{{.loyaltyTier}}: {{.loyaltyPoints}} points"})
		runIdle(t, withHook(t, recv.srv.URL, Options{Playbook: cfg, DB: db, Source: &memSource{feats: customers(6)},
			Clock: func() time.Time { return now },
			InSegment: func(f *customer.Features) bool {
				ok, err := prog.Matches(f)
				return err == nil && ok
			},
			LoyaltyBalances: p.ForEachBalance}))
		want := map[string][]string{"cust-0000": {"silver: 150 points"}, "cust-0003": {"silver: 120 points"}}
		if got := recv.bodies(); !reflect.DeepEqual(got, want) {
			t.Errorf("messages %v, want %v", got, want)
		}
	})
}

// A tierChange trigger enrols members from the program's recorded tier
// changes after the stored cursor: changes before the first run are not
// back-filled, a later upgrade to silver enrols once, a change to another
// tier does not, and a second run re-reads nothing.
func TestTierChangeTriggerFromChangeLog(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		p := pointsLedger(t, db, now) // cust-0000 and cust-0003 are silver already
		recv := newReceiver(t, 0)
		changes := func(ctx context.Context, after int64) ([]TierChange, error) {
			rows, err := p.TierChangesSince(ctx, after, 1) // one per page: paging is exercised
			out := make([]TierChange, len(rows))
			for i, r := range rows {
				out[i] = TierChange{ID: r.ID, MemberID: r.MemberID, From: r.From, To: r.To}
			}
			return out, err
		}
		cfg := journey.Config{Name: "shop/silver", Namespace: "shop",
			Trigger: journey.Trigger{TierChange: &journey.TierChangeTrigger{To: "silver"}},
			Steps: []journey.Step{{Name: "welcome", Send: &journey.SendStep{ChannelRef: "hook",
				Template: journey.Template{Body: "welcome to {{.loyaltyTier}}"}}}}}
		run := func() {
			t.Helper()
			runIdle(t, withHook(t, recv.srv.URL, Options{Playbook: cfg, DB: db, Source: &memSource{feats: customers(6)},
				Clock: func() time.Time { return now }, LoyaltyBalances: p.ForEachBalance, TierChanges: changes}))
		}
		run() // first start: moves the cursor past the two existing changes
		if got := recv.bodies(); len(got) != 0 {
			t.Fatalf("first run sent %v, want nothing (no back-fill)", got)
		}
		// cust-0001 (40 points) orders for 70 more: 110 earned, silver now.
		if _, err := p.ApplyOrder(ctx, &customer.Order{CustomerID: "cust-0001", OrderID: "o4", Amount: 70, OccurredAt: now}, now); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
		run()
		run() // nothing new: no second message
		want := map[string][]string{"cust-0001": {"welcome to silver"}}
		if got := recv.bodies(); !reflect.DeepEqual(got, want) {
			t.Errorf("messages %v, want %v", got, want)
		}
		cur, err := db.JourneyCursor(ctx, cfg.Name, "tierChanges/0/1")
		if err != nil || cur != "3" {
			t.Errorf("cursor %q (%v), want 3 (the third recorded change)", cur, err)
		}
	})
}

// loyaltyDays is n days as the loyalty engine's Duration.
func loyaltyDays(n int) loyalty.Duration {
	return loyalty.Duration{Duration: time.Duration(n) * 24 * time.Hour}
}
