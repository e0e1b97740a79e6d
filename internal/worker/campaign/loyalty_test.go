package campaign

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/segment"
	"github.com/retention-dev/retention-operator/internal/store"
)

// bodyReceiver is a loopback webhook endpoint that keeps each customer's
// message bodies.
type bodyReceiver struct {
	mu     sync.Mutex
	bodies map[string][]string
	srv    *httptest.Server
}

func newBodyReceiver(t *testing.T) *bodyReceiver {
	r := &bodyReceiver{bodies: map[string][]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var p struct {
			Body     string           `json:"body"`
			Metadata channel.Metadata `json:"metadata"`
		}
		if err := json.Unmarshal(b, &p); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		r.mu.Lock()
		r.bodies[p.Metadata.CustomerID] = append(r.bodies[p.Metadata.CustomerID], p.Body)
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *bodyReceiver) snapshot() map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]string{}
	for k, v := range r.bodies {
		out[k] = append([]string(nil), v...)
	}
	return out
}

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
		recv := newBodyReceiver(t)
		cfg := journey.Config{Name: "shop/vip", Namespace: "shop", Trigger: journey.Trigger{SegmentEntry: true},
			Steps: []journey.Step{{Name: "thanks", Send: &journey.SendStep{ChannelRef: "hook",
				Template: journey.Template{Subject: "Thanks", Body: "{{.loyaltyTier}}: {{.loyaltyPoints}} points"}}}}}
		err = Run(context.Background(), Options{Playbook: cfg, DB: db, Source: &memSource{feats: customers(6)},
			Clock:        func() time.Time { return now },
			Channels:     hookChannels(webhookSender(t, recv.srv.URL)),
			ChannelKinds: hookKinds(),
			InSegment: func(f *customer.Features) bool {
				ok, err := prog.Matches(f)
				return err == nil && ok
			},
			LoyaltyBalances: p.ForEachBalance,
			PollInterval:    time.Millisecond, Logger: quiet, ExitWhenIdle: true})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{"cust-0000": {"silver: 150 points"}, "cust-0003": {"silver: 120 points"}}
		if got := recv.snapshot(); !reflect.DeepEqual(got, want) {
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
		recv := newBodyReceiver(t)
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
			err := Run(ctx, Options{Playbook: cfg, DB: db, Source: &memSource{feats: customers(6)},
				Clock:           func() time.Time { return now },
				Channels:        hookChannels(webhookSender(t, recv.srv.URL)),
				ChannelKinds:    hookKinds(),
				LoyaltyBalances: p.ForEachBalance, TierChanges: changes,
				PollInterval: time.Millisecond, Logger: quiet, ExitWhenIdle: true})
			if err != nil {
				t.Fatal(err)
			}
		}
		run() // first start: moves the cursor past the two existing changes
		if got := recv.snapshot(); len(got) != 0 {
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
		if got := recv.snapshot(); !reflect.DeepEqual(got, want) {
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
