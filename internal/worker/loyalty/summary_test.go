package loyalty

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/retention-dev/retention-operator/internal/customer"
	engine "github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/store"
)

// summaryFixture: an opt-in program (event "join"), 1 point per EUR, floor,
// 10-day pending period, point value 0.01 EUR, silver at 100 and gold at 300
// points in 365 days. A, B, C join; D and E buy without joining.
func summaryFixture() (engine.Config, *sliceSource) {
	cfg := engine.Config{
		Currency: "EUR", PointValue: 0.01, EnrollEventType: "join",
		EarnRules: engine.EarnRules{PointsPerUnit: 1},
		Tiers: []engine.Tier{
			{Name: "silver", Threshold: 100, Window: loyaltyDays(365), DowngradeGrace: loyaltyDays(30)},
			{Name: "gold", Threshold: 300, Window: loyaltyDays(365), DowngradeGrace: loyaltyDays(30)},
		},
		Rewards:       []engine.Reward{{Name: "voucher", Cost: 100}},
		PendingPeriod: loyaltyDays(10),
	}
	src := &sliceSource{
		events: []customer.Event{
			{CustomerID: "A", Type: "join", OccurredAt: day(0)},
			{CustomerID: "B", Type: "join", OccurredAt: day(0)},
			{CustomerID: "C", Type: "join", OccurredAt: day(0)},
		},
		orders: []customer.Order{
			{CustomerID: "A", OrderID: "o1", Amount: 350.40, OccurredAt: day(0)}, // 350 -> gold (same instant as the join)
			{CustomerID: "B", OrderID: "o2", Amount: 120, OccurredAt: day(1)},    // 120 -> silver
			{CustomerID: "C", OrderID: "o4", Amount: 40.99, OccurredAt: day(2)},  // 40
			{CustomerID: "D", OrderID: "o5", Amount: 10, OccurredAt: day(3)},     // not a member: no points
			{CustomerID: "D", OrderID: "o6", Amount: 12, OccurredAt: day(4)},
			{CustomerID: "E", OrderID: "o7", Amount: 9, OccurredAt: day(5)},
			{CustomerID: "B", OrderID: "o3", Amount: 30, OccurredAt: day(25)}, // 30, pending until day 35
		},
	}
	return cfg, src
}

// TestSummaryFixture checks the metrics summary against hand computation.
//
// Ingest at day 20 (o3 is still in the future), A redeems a 100-point voucher
// at day 20, ingest again and summarise at day 30:
//
//	A: 350 - 100 = 250 available (gold: 350 points in window >= 300)
//	B: 120 available + 30 pending (o3 day 25 + 10 = day 35 > day 30) (silver: 150 >= 100)
//	C: 40 available (no tier)
//	available = 250 + 120 + 40 = 410, pending = 30, outstanding = 440
//	liability = 440 * 0.01 = 4.40 EUR
//	members per tier: gold 1, silver 1, none 1 (D and E never joined)
//	earned in window = 350 + 120 + 40 + 30 = 540, redeemed = 100, rate = 100/540 = 0.185185...
//	repeat: members A(1 order) B(2) C(1) -> 1/3; non-members D(2) E(1) -> 1/2
func TestSummaryFixture(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cfg, src := summaryFixture()
		o := Options{Program: cfg, DB: db, Source: src, Registry: prometheus.NewRegistry()}
		p, _, err := o.open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := IngestOnce(ctx, p, src, o.IngestOverlap, day(20)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := p.Redeem(ctx, "A", "voucher", 100, "r1", day(20)); err != nil {
			t.Fatal(err)
		}
		for pass := 0; pass < 2; pass++ { // the second pass replays everything: no change
			if _, err := IngestOnce(ctx, p, src, 1000*o.IngestOverlap, day(30)); err != nil {
				t.Fatal(err)
			}
		}
		var published Summary
		o.Now = func() time.Time { return day(30) }
		o.Publish = func(ctx context.Context, s Summary) error { published = s; return nil }
		s, err := RunMetrics(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if s.PointsAvailable != 410 || s.PointsPending != 30 || s.PointsOutstanding != 440 || math.Abs(s.Liability-4.40) > 1e-9 {
			t.Fatalf("points %d/%d/%d liability %v, want 410/30/440 and 4.40", s.PointsAvailable, s.PointsPending, s.PointsOutstanding, s.Liability)
		}
		want := map[string]int64{"gold": 1, "silver": 1, NoTier: 1}
		for tier, n := range want {
			if s.MembersPerTier[tier] != n {
				t.Fatalf("members per tier %v, want %v", s.MembersPerTier, want)
			}
		}
		if s.Members != 3 || s.PointsEarned != 540 || s.PointsRedeemed != 100 || math.Abs(s.RedemptionRate-100.0/540) > 1e-12 {
			t.Fatalf("summary %+v", s)
		}
		r := s.Repeat
		if r == nil || r.MemberBuyers != 3 || r.MemberRepeaters != 1 || r.NonMemberBuyers != 2 || r.NonMemberRepeaters != 1 ||
			math.Abs(r.MemberRate-1.0/3) > 1e-12 || r.NonMemberRate != 0.5 {
			t.Fatalf("repeat rates %+v", r)
		}
		if published.PointsOutstanding != 440 {
			t.Fatalf("published %+v", published)
		}
		if v := gauge(t, o.Registry, "loyalty_points_liability", ""); math.Abs(v-4.40) > 1e-9 {
			t.Fatalf("liability gauge %v", v)
		}
		if v := gauge(t, o.Registry, "loyalty_members", "gold"); v != 1 {
			t.Fatalf("gold members gauge %v", v)
		}
	})
}

// gauge reads one gauge value (label value lv, or the unlabelled gauge).
func gauge(t *testing.T, reg *prometheus.Registry, name, lv string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if lv == "" || (len(m.GetLabel()) > 0 && m.GetLabel()[0].GetValue() == lv) {
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("gauge %s{%s} not found", name, lv)
	return 0
}
