package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
	rows, err := db.Query(context.Background(), `SELECT remaining FROM points_lots WHERE member_id = $1 ORDER BY earned_at, id`, member)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
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
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, rep, err := p.Redeem(ctx, "M", "mug", 10, fmt.Sprint("key", i%40), day(5)) // keys 0-19 sent twice
				answers[i] = answer{r, rep, err}
			}()
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

// TestRetryRacingItsFirstRedemptionReplays: a member with exactly one
// reward's worth of points, and the same redemption (or, for every other
// member, the same debit adjustment) sent twice at once with one key, as a
// client retrying on a timeout does. One spends; the other must
// get that answer back, not a 409: on PostgreSQL it waited for the row lock
// and its lock query's probe was read before the first one committed, so
// the refusal is re-checked against the key under the lock.
func TestRetryRacingItsFirstRedemptionReplays(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		db.SetMaxOpenConns(16)
		p := openPoints(t, db, integrityConfig())
		const members = 40
		for i := range members {
			enroll(t, p, fmt.Sprint("e", i), 10) // 10 points: one mug
		}
		type answer struct {
			r        Redemption
			replayed bool
			err      error
		}
		answers := make([][2]answer, members)
		var wg sync.WaitGroup
		for i := range members {
			for j := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if i%2 == 0 {
						r, rep, err := p.Redeem(ctx, fmt.Sprint("e", i), "mug", 10, "retry", day(0))
						answers[i][j] = answer{r, rep, err}
					} else { // an admin debit of the whole balance, retried the same way
						a, rep, err := p.Adjust(ctx, fmt.Sprint("e", i), -10, "correction", "retry", day(0))
						answers[i][j] = answer{Redemption{ID: a.ID}, rep, err}
					}
				}()
			}
		}
		wg.Wait()
		for i, pair := range answers {
			a, b := pair[0], pair[1]
			if a.err != nil || b.err != nil || a.r.ID == 0 || a.r.ID != b.r.ID || a.replayed == b.replayed {
				t.Errorf("member e%d: answers %+v / %+v; want one redemption and one replay of it", i, a, b)
			}
		}
		wantHistoryIsBalance(t, db)
	})
}

// TestCancelledRedemptionsLeaveNoTransaction: redemptions whose requests are
// cancelled at any point of the two round trips either commit whole or
// leave nothing, and leave no transaction open on a pooled connection: the
// same pool then serves every redemption, and history equals the lots.
func TestCancelledRedemptionsLeaveNoTransaction(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		db.SetMaxOpenConns(4)
		p := openPoints(t, db, integrityConfig())
		for i := range 8 {
			enroll(t, p, fmt.Sprint("c", i), 1000)
		}
		var wg sync.WaitGroup
		var ok, cancelled atomic.Int64
		for i := range 160 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%20)*100*time.Microsecond)
				defer cancel()
				switch _, _, err := p.Redeem(ctx, fmt.Sprint("c", i%8), "mug", 10, fmt.Sprint("cancel", i), day(0)); {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || pastDeadline(ctx): // a dial cut by the deadline says "i/o timeout"
					cancelled.Add(1)
				default:
					t.Errorf("redemption %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		var recorded int64
		if err := db.QueryRow(context.Background(), `SELECT count(*) FROM points_entries WHERE request_key LIKE 'cancel%'`).Scan(&recorded); err != nil {
			t.Fatal(err)
		}
		// A request cancelled after its COMMIT was sent may be recorded without its answer; a retry replays it.
		if cancelled.Load() == 0 || recorded < ok.Load() {
			t.Fatalf("%d answered, %d cancelled, %d recorded; want some cancelled and every answered one recorded", ok.Load(), cancelled.Load(), recorded)
		}
		for i := range 8 {
			if _, _, err := p.Redeem(context.Background(), fmt.Sprint("c", i), "mug", 10, "after", day(0)); err != nil {
				t.Fatalf("redemption after the cancelled ones: %v", err)
			}
		}
		// A cancelled query's connection is given back once the driver has
		// cleaned it up, which a loaded machine may finish a moment later.
		for wait := time.Now().Add(5 * time.Second); db.Stats().InUse != 0 && time.Now().Before(wait); {
			time.Sleep(10 * time.Millisecond)
		}
		if st := db.Stats(); st.InUse != 0 {
			t.Fatalf("%d connections still in use", st.InUse)
		}
		wantHistoryIsBalance(t, db)
	})
}

func pastDeadline(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}
