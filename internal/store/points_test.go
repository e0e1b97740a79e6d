package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/loyalty"
)

// eachDB runs a test against SQLite and (when configured) PostgreSQL, on
// stores the test migrates itself (OpenPoints does).
func eachDB(t *testing.T, fn func(t *testing.T, db *DB)) {
	forEachDialect(t, nil, func(t *testing.T, _ context.Context, db *DB) { fn(t, db) })
}

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func day(n float64) time.Time { return t0.Add(time.Duration(n * float64(24*time.Hour))) }

func openPoints(t *testing.T, db *DB, cfg loyalty.Config) *Points {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	p, err := OpenPoints(context.Background(), db, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func wantBalance(t *testing.T, p *Points, id string, now time.Time, avail, pend int64) MemberView {
	t.Helper()
	v, err := p.Member(context.Background(), id, now)
	if err != nil {
		t.Fatalf("member %s: %v", id, err)
	}
	if v.Available != avail || v.Pending != pend {
		t.Fatalf("member %s at %s: available/pending = %d/%d, want %d/%d", id, now.Format(time.DateOnly), v.Available, v.Pending, avail, pend)
	}
	return v
}

func countEntries(t *testing.T, db *DB) int {
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM points_entries`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPointsReplayAndRefund: replaying the whole stream twice changes nothing,
// and refunds take back exactly the points the order earned.
func TestPointsReplayAndRefund(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		p := openPoints(t, db, loyalty.Config{
			EarnRules:     loyalty.EarnRules{PointsPerUnit: 1, TierMultipliers: map[string]float64{"silver": 1.5}},
			Tiers:         []loyalty.Tier{{Name: "silver", Threshold: 100, Window: loyaltyDays(365), DowngradeGrace: loyaltyDays(30)}},
			PendingPeriod: loyaltyDays(14),
		})
		orders := []customer.Order{
			{CustomerID: "A", OrderID: "o1", Amount: 120.70, OccurredAt: day(0)}, // floor(120.70) = 120 -> silver at once
			{CustomerID: "A", OrderID: "o2", Amount: 50, OccurredAt: day(1)},     // floor(50 * 1.5) = 75 (silver multiplier)
			{CustomerID: "B", OrderID: "o3", Amount: 19.99, OccurredAt: day(1)},  // floor(19.99) = 19
			{CustomerID: "B", OrderID: "o4", Amount: -5, OccurredAt: day(2)},     // unlinked refund: -floor(5) = -5
		}
		events := []customer.Event{
			{CustomerID: "A", Type: "refund", OccurredAt: day(2), Properties: map[string]string{"orderId": "o2"}},                      // -75
			{CustomerID: "A", Type: "refund", OccurredAt: day(2.5), Properties: map[string]string{"orderId": "o1", "amount": "60.35"}}, // floor(120*60.35/120.70) = 60
		}
		now := day(3)
		wantPoints := []int64{120, 75, 19, -5}
		for pass := 0; pass < 2; pass++ {
			for i := range orders {
				res, err := p.ApplyOrder(ctx, &orders[i], now)
				if err != nil {
					t.Fatal(err)
				}
				if pass == 0 && res.Points != wantPoints[i] {
					t.Fatalf("order %s: %d points, want %d", orders[i].OrderID, res.Points, wantPoints[i])
				}
				if pass == 1 && (!res.Duplicate || res.Points != 0) {
					t.Fatalf("replayed order %s: %+v, want a duplicate", orders[i].OrderID, res)
				}
			}
			for i, want := range []int64{-75, -60} {
				res, err := p.ApplyEvent(ctx, &events[i], now)
				if err != nil {
					t.Fatal(err)
				}
				if pass == 0 && res.Points != want {
					t.Fatalf("refund %d: %d points, want %d", i, res.Points, want)
				}
				if pass == 1 && !res.Duplicate {
					t.Fatalf("replayed refund %d: %+v, want a duplicate", i, res)
				}
			}
			// A: 120 + 75 - 75 - 60 = 60 pending (o1's lot, pending until day 14); B: 19 - 5 = 14 pending.
			wantBalance(t, p, "A", now, 0, 60)
			wantBalance(t, p, "B", now, 0, 14)
			if n := countEntries(t, db); n != 6 {
				t.Fatalf("pass %d: %d ledger entries, want 6", pass, n)
			}
		}
		got := map[string]string{}
		if err := p.ForEachBalance(ctx, day(15), func(id, tier string, avail int64) error {
			got[id] = fmt.Sprintf("%s/%d", tier, avail)
			return nil
		}); err != nil || got["A"] != "silver/60" || got["B"] != "/14" || len(got) != 2 {
			t.Fatalf("balances at day 15: %v %v, want A silver/60, B /14", got, err)
		}
		// A is below 100 qualifying points (60) but keeps silver inside the 30-day grace.
		v := wantBalance(t, p, "A", day(15), 60, 0)
		if v.Tier != "silver" {
			t.Fatalf("A tier %q, want silver within grace", v.Tier)
		}
	})
}

// TestPointsExpiryPendingDowngrade walks one member through time: pending
// period, FIFO redemption of a partly spent lot, the warning window, fixed
// expiry of the partly spent lot, and a tier downgrade after the grace period.
func TestPointsExpiryPendingDowngrade(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		p := openPoints(t, db, loyalty.Config{
			EarnRules:     loyalty.EarnRules{PointsPerUnit: 1},
			Tiers:         []loyalty.Tier{{Name: "silver", Threshold: 100, Window: loyaltyDays(60), DowngradeGrace: loyaltyDays(10)}},
			Rewards:       []loyalty.Reward{{Name: "mug", Cost: 30}},
			PointsExpiry:  &loyalty.PointsExpiry{Mode: loyalty.ExpiryFixed, After: loyaltyDays(30), WarningWindow: loyaltyDays(7)},
			PendingPeriod: loyaltyDays(14),
		})
		apply := func(id string, amount float64, at time.Time) {
			t.Helper()
			if _, err := p.ApplyOrder(ctx, &customer.Order{CustomerID: "M", OrderID: id, Amount: amount, OccurredAt: at}, at); err != nil {
				t.Fatal(err)
			}
		}
		apply("a1", 100, day(0)) // lot1: 100, available day 14, expires day 44
		if v := wantBalance(t, p, "M", day(10), 0, 100); v.Tier != "silver" {
			t.Fatalf("tier %q, want silver (upgrade at once)", v.Tier)
		}
		if _, _, err := p.Redeem(ctx, "M", "mug", 30, "k0", day(10)); !errors.Is(err, ErrInsufficientPoints) {
			t.Fatalf("redeeming pending points: err %v, want insufficient", err)
		}
		wantBalance(t, p, "M", day(15), 100, 0)
		r, _, err := p.Redeem(ctx, "M", "mug", 30, "k1", day(16)) // lot1 70 left
		if err != nil || r.Available != 70 {
			t.Fatalf("redeem: %+v %v, want 70 left", r, err)
		}
		apply("a2", 40, day(20)) // lot2: 40, available day 34, expires day 64
		wantBalance(t, p, "M", day(30), 70, 40)
		exp, err := p.Expiring(ctx, day(38)) // window (38, 45] holds lot1's lapse at day 44
		if err != nil || len(exp) != 1 || exp[0].Points != 70 || !exp[0].At.Equal(day(44)) {
			t.Fatalf("expiring at day 38: %+v %v, want M 70 at day 44", exp, err)
		}
		if exp, _ := p.Expiring(ctx, day(30)); len(exp) != 0 {
			t.Fatalf("expiring at day 30: %+v, want none (day 44 is beyond 7 days)", exp)
		}
		wantBalance(t, p, "M", day(35), 110, 0)
		// Day 45: the partly spent lot1 lapses with its 70; only lot2's 40 remain.
		wantBalance(t, p, "M", day(45), 40, 0)
		if _, _, err := p.Redeem(ctx, "M", "big", 50, "k2", day(45)); !errors.Is(err, ErrInsufficientPoints) {
			t.Fatalf("redeem 50 of 40: err %v", err)
		}
		if _, err := p.Maintain(ctx, day(45)); err != nil {
			t.Fatal(err)
		}
		var expired int64
		db.QueryRow(ctx, `SELECT -SUM(points) FROM points_entries WHERE kind = 'expire'`).Scan(&expired)
		if expired != 70 {
			t.Fatalf("expired %d points, want 70", expired)
		}
		// Day 61: window (1, 61] holds only a2's 40 < 100: grace starts, still silver.
		for _, step := range []struct {
			at   time.Time
			tier string
		}{{day(61), "silver"}, {day(70), "silver"}, {day(71), ""}} {
			if _, err := p.Maintain(ctx, step.at); err != nil {
				t.Fatal(err)
			}
			v, _ := p.Member(ctx, "M", step.at)
			if v.Tier != step.tier {
				t.Fatalf("tier at %s = %q, want %q", step.at.Format(time.DateOnly), v.Tier, step.tier)
			}
		}
		changes, err := p.TierChangesSince(ctx, 0, 10)
		if err != nil || len(changes) != 2 {
			t.Fatalf("tier changes %+v %v, want 2", changes, err)
		}
		if c := changes[0]; c.To != "silver" || c.Direction != "up" || !c.At.Equal(day(0)) {
			t.Fatalf("first change %+v", c)
		}
		if c := changes[1]; c.From != "silver" || c.To != "" || c.Direction != "down" || !c.At.Equal(day(71)) {
			t.Fatalf("second change %+v, want silver -> none at day 71", c)
		}
		if more, _ := p.TierChangesSince(ctx, changes[1].ID, 10); len(more) != 0 {
			t.Fatalf("changes after cursor: %+v", more)
		}
		// Day 64: lot2 lapsed too; balance 0 and never negative.
		wantBalance(t, p, "M", day(72), 0, 0)
	})
}

// TestPointsInactivityExpiry: all points lapse after the inactivity period,
// which each order restarts; the lapse is recorded oldest lot first.
func TestPointsInactivityExpiry(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		p := openPoints(t, db, loyalty.Config{
			EarnRules:    loyalty.EarnRules{PointsPerUnit: 2, Rounding: loyalty.RoundCeil},
			PointsExpiry: &loyalty.PointsExpiry{Mode: loyalty.ExpiryInactivity, After: loyaltyDays(30), WarningWindow: loyaltyDays(5)},
		})
		for i, o := range []customer.Order{
			{CustomerID: "M", OrderID: "x1", Amount: 10.2, OccurredAt: day(0)}, // ceil(20.4) = 21
			{CustomerID: "M", OrderID: "x2", Amount: 5, OccurredAt: day(20)},   // 10; deadline day 50
		} {
			if _, err := p.ApplyOrder(ctx, &o, o.OccurredAt); err != nil {
				t.Fatal(i, err)
			}
		}
		wantBalance(t, p, "M", day(49), 31, 0)
		if exp, _ := p.Expiring(ctx, day(46)); len(exp) != 1 || exp[0].Points != 31 || !exp[0].At.Equal(day(50)) {
			t.Fatalf("expiring at day 46: %+v, want 31 at day 50", exp)
		}
		wantBalance(t, p, "M", day(50), 0, 0)
		if _, err := p.Maintain(ctx, day(50)); err != nil {
			t.Fatal(err)
		}
		rows, _ := db.Query(ctx, `SELECT points FROM points_entries WHERE kind = 'expire' ORDER BY id`)
		var got []int64
		for rows.Next() {
			var n int64
			rows.Scan(&n)
			got = append(got, n)
		}
		rows.Close()
		if len(got) != 2 || got[0] != -21 || got[1] != -10 {
			t.Fatalf("expire entries %v, want [-21 -10] (oldest first)", got)
		}
	})
}

// TestPointsPartialRefundsCumulative: partial refunds round on the running
// total, so together they take back exactly what the order earned.
func TestPointsPartialRefundsCumulative(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		p := openPoints(t, db, loyalty.Config{EarnRules: loyalty.EarnRules{PointsPerUnit: 1, Rounding: loyalty.RoundRound}})
		if _, err := p.ApplyOrder(ctx, &customer.Order{CustomerID: "R", OrderID: "p1", Amount: 10, OccurredAt: day(0)}, day(0)); err != nil {
			t.Fatal(err)
		}
		refund := func(id, amount string, want int64) {
			t.Helper()
			props := map[string]string{"id": id, "orderId": "p1"}
			if amount != "" {
				props["amount"] = amount
			}
			res, err := p.ApplyEvent(ctx, &customer.Event{CustomerID: "R", Type: "refund", OccurredAt: day(1), Properties: props}, day(1))
			if err != nil || res.Points != want {
				t.Fatalf("refund %s: %+v %v, want %d points", id, res, err, want)
			}
		}
		refund("r1", "3.33", -3) // R(3.33) = round(3.33) = 3
		refund("r2", "3.33", -4) // R(6.66) - R(3.33) = 7 - 3
		refund("r3", "3.33", -3) // R(9.99) - R(6.66) = 10 - 7
		refund("r4", "", 0)      // the rest (0.01 EUR): R(10) - R(9.99) = 10 - 10
		refund("r5", "5", 0)     // nothing left to refund
		wantBalance(t, p, "R", day(1), 0, 0)
	})
}

// loyaltyDays is n days as the loyalty engine's Duration.
func loyaltyDays(n int) loyalty.Duration {
	return loyalty.Duration{Duration: time.Duration(n) * 24 * time.Hour}
}
