package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/loyalty"
)

// TestRedeemAcrossLotsAndAfterExpiry: a redemption takes FIFO across several
// lots in its one write statement (PostgreSQL's redeemPipelined) and, when a
// lot has lapsed, the lapse is recorded before the redemption spends the
// rest (redeemTx); activity is recorded; history equals the lots.
func TestRedeemAcrossLotsAndAfterExpiry(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		p := openPoints(t, db, loyalty.Config{
			EarnRules:    loyalty.EarnRules{PointsPerUnit: 1},
			Rewards:      []loyalty.Reward{{Name: "mug", Cost: 25}},
			PointsExpiry: &loyalty.PointsExpiry{Mode: loyalty.ExpiryFixed, After: loyaltyDays(30)},
		})
		for i, at := range []float64{0, 10, 20, 21} { // lots of 10 expiring days 30, 40, 50, 51
			o := &customer.Order{CustomerID: "M", OrderID: fmt.Sprint("o", i), Amount: 10, OccurredAt: day(at)}
			if _, err := p.ApplyOrder(ctx, o, day(at)); err != nil {
				t.Fatal(err)
			}
		}
		r, replayed, err := p.Redeem(ctx, "M", "mug", 25, "k1", day(25)) // 10 + 10 + 5 of the lots from days 0, 10, 20
		if err != nil || replayed || r.Available != 15 || r.Points != 25 {
			t.Fatalf("redeem across three lots: %+v replayed=%v %v, want 15 left", r, replayed, err)
		}
		wantLots(t, db, "M", 0, 0, 5, 10)
		wantBalance(t, p, "M", day(25), 15, 0)
		var last int64
		if err := db.QueryRow(ctx, `SELECT last_activity FROM points_members WHERE member_id = 'M'`).Scan(&last); err != nil || !fromUS(last).Equal(day(25)) {
			t.Fatalf("last activity %v (%v), want day 25 (the redemption)", fromUS(last), err)
		}
		// Day 50: the day-20 lot (5 left) lapsed. Redeeming 25 of the 10 left is refused and records nothing.
		if _, _, err := p.Redeem(ctx, "M", "mug", 25, "k2", day(50)); !errors.Is(err, ErrInsufficientPoints) {
			t.Fatalf("redeem 25 of 10: %v, want insufficient", err)
		}
		r, _, err = p.Redeem(ctx, "M", "mug", 10, "k3", day(50))
		if err != nil || r.Available != 0 {
			t.Fatalf("redeem after a lapse: %+v %v, want 0 left", r, err)
		}
		wantLots(t, db, "M", 0, 0, 0, 0)
		var expired int64
		if err := db.QueryRow(ctx, `SELECT -COALESCE(SUM(points), 0) FROM points_entries WHERE kind = 'expire'`).Scan(&expired); err != nil || expired != 5 {
			t.Fatalf("expired %d (%v), want the 5 left of the day-20 lot", expired, err)
		}
		wantHistoryIsBalance(t, db)
	})
}

// wantLots checks a member's lots' remaining points in earning order.
func wantLots(t *testing.T, db *DB, member string, want ...int64) {
	t.Helper()
	got, err := queryColumn[int64](context.Background(), db, `SELECT remaining FROM points_lots WHERE member_id = $1 ORDER BY earned_at, id`, member)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("lots of %s hold %v, want %v", member, got, want)
	}
}

// TestConcurrentRedemptionsAcrossLots: 60 concurrent redemptions of 10 on
// one member whose 100 points lie in three lots, 20 of them retries of
// another's key: exactly 10 keys succeed, each retry gets its key's answer,
// no lot goes below zero and the history equals the lots.
func TestConcurrentRedemptionsAcrossLots(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		db.SetMaxOpenConns(16)
		p := openPoints(t, db, integrityConfig())
		for i, amount := range []float64{33, 33, 34} {
			o := &customer.Order{CustomerID: "M", OrderID: fmt.Sprint("o", i), Amount: amount, OccurredAt: day(float64(i))}
			if _, err := p.ApplyOrder(ctx, o, day(float64(i))); err != nil {
				t.Fatal(err)
			}
		}
		type answer struct {
			r        Redemption
			replayed bool
			err      error
		}
		answers := make([]answer, 60)
		var wg sync.WaitGroup
		for i := range answers {
			wg.Go(func() {
				r, rep, err := p.Redeem(ctx, "M", "mug", 10, fmt.Sprint("key", i%40), day(5)) // keys 0-19 sent twice
				answers[i] = answer{r, rep, err}
			})
		}
		wg.Wait()
		byKey := map[string]Redemption{}
		ok, refused := 0, 0
		for i, a := range answers {
			switch {
			case a.err == nil:
				key := fmt.Sprint("key", i%40)
				if first, seen := byKey[key]; seen && first != a.r {
					t.Fatalf("key %s answered %+v and %+v", key, first, a.r)
				}
				byKey[key] = a.r
				if !a.replayed {
					ok++
				}
			case errors.Is(a.err, ErrInsufficientPoints):
				refused++
			default:
				t.Fatalf("redemption %d: %v", i, a.err)
			}
		}
		if ok != 10 || len(byKey) != 10 {
			t.Fatalf("%d original successes over %d keys, want 10 and 10 (%d refused)", ok, len(byKey), refused)
		}
		wantBalance(t, p, "M", day(5), 0, 0)
		wantLots(t, db, "M", 0, 0, 0)
		wantHistoryIsBalance(t, db)
	})
}
