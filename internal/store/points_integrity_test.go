package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/loyalty"
)

func integrityConfig() loyalty.Config {
	return loyalty.Config{Currency: "EUR", EarnRules: loyalty.EarnRules{PointsPerUnit: 1},
		Rewards: []loyalty.Reward{{Name: "mug", Cost: 10}}}
}

// wantHistoryIsBalance checks the ledger invariant for every member: the sum
// of the member's entries equals the points left in its lots, every lot has
// its entry, and no balance is negative.
func wantHistoryIsBalance(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Query(ctx, `SELECT m.member_id,
			(SELECT COALESCE(SUM(points), 0) FROM points_entries e WHERE e.member_id = m.member_id),
			(SELECT COALESCE(SUM(remaining), 0) FROM points_lots l WHERE l.member_id = m.member_id)
		FROM points_members m ORDER BY m.member_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	members := 0
	for rows.Next() {
		var id string
		var history, lots int64
		if err := rows.Scan(&id, &history, &lots); err != nil {
			t.Fatal(err)
		}
		members++
		if history != lots || lots < 0 {
			t.Errorf("member %q: history sums to %d, lots hold %d", id, history, lots)
		}
	}
	if members == 0 {
		t.Fatal("no members: the invariant was checked on nothing")
	}
	var orphans int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM points_lots l WHERE NOT EXISTS
		(SELECT 1 FROM points_entries e WHERE e.id = l.entry_id AND e.member_id = l.member_id)`).Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	if orphans != 0 {
		t.Errorf("%d lots without their ledger entry", orphans)
	}
}

func enroll(t *testing.T, p *Points, member string, amount float64) {
	t.Helper()
	o := &customer.Order{CustomerID: member, OrderID: "o-" + member, Amount: amount, OccurredAt: day(0)}
	if _, err := p.ApplyOrder(context.Background(), o, day(0)); err != nil {
		t.Fatal(err)
	}
}

// TestIdempotencyKeysDoNotCollideAcrossMembers: joined with ':', member "x"
// key "y:k" and member "x:y" key "k" were one source key: the second request
// answered adjustmentId 0 and credited a lot with no ledger entry, on every
// retry. Each member's key is its own now.
func TestIdempotencyKeysDoNotCollideAcrossMembers(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		p := openPoints(t, db, integrityConfig())
		enroll(t, p, "x", 100)
		enroll(t, p, "x:y", 100)
		first, _, err := p.Adjust(ctx, "x", 5, "goodwill", "y:k", day(0))
		if err != nil {
			t.Fatal(err)
		}
		for try := range 3 {
			a, replayed, err := p.Adjust(ctx, "x:y", 7, "goodwill", "k", day(0))
			if err != nil {
				t.Fatal(err)
			}
			if a.ID == 0 || a.ID == first.ID || replayed != (try > 0) || a.Available != 107 {
				t.Fatalf("try %d: member x:y key k = %+v replayed=%v; want its own entry, 107 available", try, a, replayed)
			}
		}
		r1, _, err := p.Redeem(ctx, "x", "mug", 10, "y:k", day(0))
		if err != nil {
			t.Fatal(err)
		}
		r2, replayed, err := p.Redeem(ctx, "x:y", "mug", 10, "k", day(0))
		if err != nil || replayed || r2.ID == r1.ID {
			t.Fatalf("redeem x:y k = %+v replayed=%v err=%v; want a new redemption", r2, replayed, err)
		}
		wantBalance(t, p, "x", day(0), 95, 0)
		wantBalance(t, p, "x:y", day(0), 97, 0)
		wantHistoryIsBalance(t, db)
	})
}

// TestAdjustmentBounds: math.MaxInt64 once overflowed the balance and
// math.MinInt64 made the member unreadable; both are refused, as is a credit
// past loyalty.MaxBalance, and the member stays readable and consistent.
func TestAdjustmentBounds(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		p := openPoints(t, db, integrityConfig())
		enroll(t, p, "m", 100)
		for i, pts := range []int64{math.MaxInt64, math.MinInt64, loyalty.MaxAdjustment + 1, -loyalty.MaxAdjustment - 1, 0} {
			if a, _, err := p.Adjust(ctx, "m", pts, "x", fmt.Sprint("k", i), day(0)); err == nil {
				t.Errorf("adjust %d accepted: %+v", pts, a)
			}
		}
		// An order worth MaxBalance - 100 points fills the balance to the bound.
		enroll(t, p, "big", float64(loyalty.MaxBalance-100))
		if _, _, err := p.Adjust(ctx, "big", 100, "x", "fill", day(0)); err != nil {
			t.Fatalf("credit up to the bound: %v", err)
		}
		_, _, err := p.Adjust(ctx, "big", 1, "x", "over", day(0))
		var be *loyalty.BalanceBoundError
		if !errors.As(err, &be) || be.Field != "points" {
			t.Fatalf("credit past MaxBalance: %v, want a BalanceBoundError on points", err)
		}
		// An order past the bound is refused by ingest, not credited.
		res, err := p.ApplyOrder(ctx, &customer.Order{CustomerID: "big", OrderID: "huge", Amount: 1e308, OccurredAt: day(0)}, day(0))
		if err != nil || !res.Refused {
			t.Fatalf("order of 1e308: %+v %v, want refused", res, err)
		}
		wantBalance(t, p, "m", day(0), 100, 0)
		wantBalance(t, p, "big", day(0), loyalty.MaxBalance, 0)
		wantHistoryIsBalance(t, db)
	})
}

// TestRacingRetriesReplay: a retry racing its own first request (same
// member, same key, at once), as a client retrying on a timeout does: both
// succeed with the same answer and the member pays once. Even members
// redeem a mug, odd ones are adjusted.
func TestRacingRetriesReplay(t *testing.T) {
	for _, c := range []struct {
		name     string
		members  int
		enrolled float64 // each member's points before
		key      string
		adjust   int64
		reason   string
		// a redeeming and an adjusted member's points after
		redeemed, adjusted int64
	}{
		// Got "500 internal error" on PostgreSQL.
		{"credits", 30, 100, "key", 5, "goodwill", 90, 105},
		// Exactly one reward's worth of points, or an admin debit of the
		// whole balance. One spends; the other must get that answer back,
		// not a 409: on PostgreSQL it waited for the row lock and its lock
		// query's probe was read before the first one committed, so the
		// refusal is re-checked against the key under the lock.
		{"whole balance", 40, 10, "retry", -10, "correction", 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			eachDB(t, func(t *testing.T, db *DB) {
				ctx := context.Background()
				db.SetMaxOpenConns(16)
				p := openPoints(t, db, integrityConfig())
				for i := range c.members {
					enroll(t, p, fmt.Sprint("m", i), c.enrolled)
				}
				for i, pair := range sendTwiceAtOnce(ctx, p, c.members, c.key, c.adjust, c.reason) {
					a, b := pair[0], pair[1]
					if a.err != nil || b.err != nil {
						t.Errorf("member m%d: errors %v / %v", i, a.err, b.err)
						continue
					}
					if a.id == 0 || a.id != b.id || a.replayed == b.replayed {
						t.Errorf("member m%d: answers %+v / %+v; want one original and one replay of the same entry", i, a, b)
					}
					want := c.redeemed
					if i%2 == 1 {
						want = c.adjusted
					}
					wantBalance(t, p, fmt.Sprint("m", i), day(0), want, 0)
				}
				wantHistoryIsBalance(t, db)
			})
		})
	}
}

// retryAnswer is what one of two requests sent at once with one key got.
type retryAnswer struct {
	id       int64
	replayed bool
	err      error
}

// sendTwiceAtOnce sends, for each of members m0 .. m<n-1>, one request
// twice at once under key: even members redeem a mug, odd ones are
// adjusted by points for reason.
func sendTwiceAtOnce(ctx context.Context, p *Points, n int, key string, points int64, reason string) [][2]retryAnswer {
	answers := make([][2]retryAnswer, n)
	var wg sync.WaitGroup
	for i := range n {
		member := fmt.Sprint("m", i)
		for j := range 2 {
			wg.Go(func() {
				if i%2 == 0 {
					r, replayed, err := p.Redeem(ctx, member, "mug", 10, key, day(0))
					answers[i][j] = retryAnswer{r.ID, replayed, err}
					return
				}
				a, replayed, err := p.Adjust(ctx, member, points, reason, key, day(0))
				answers[i][j] = retryAnswer{a.ID, replayed, err}
			})
		}
	}
	wg.Wait()
	return answers
}

// TestRequestKeyMigration: a ledger written by version 1 (keys joined into
// source_key) migrates to request keys: each entry keeps its own member's key,
// so retries of old requests still replay, and the other member's colliding
// key is free.
func TestRequestKeyMigration(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		v1 := db.pointsSchema()[:1]
		if err := db.Migrate(ctx, "points", v1); err != nil {
			t.Fatal(err)
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.Exec(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		for _, m := range []string{"x", "x:y"} {
			exec(`INSERT INTO points_members (member_id, enrolled_at) VALUES ($1, 1)`, m)
		}
		entry := `INSERT INTO points_entries (member_id, kind, source_key, points, ref, balance_after, occurred_at, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6, 1, 1)`
		exec(entry, "x", KindEarn, "order:o1", 100, "o1", 0)
		exec(`INSERT INTO points_lots (member_id, entry_id, earned_at, available_at, original, remaining) VALUES ('x', 1, 1, 1, 100, 90)`)
		exec(entry, "x", KindRedeem, "redeem:x:y:k", -10, "mug", 90)
		p := openPoints(t, db, integrityConfig())
		var reqKey string
		var src *string
		if err := db.QueryRow(ctx, `SELECT request_key, source_key FROM points_entries WHERE kind = 'redeem'`).Scan(&reqKey, &src); err != nil {
			t.Fatal(err)
		}
		if reqKey != "y:k" || src != nil {
			t.Fatalf("migrated redeem entry: request_key %q, source_key %v; want y:k and NULL", reqKey, src)
		}
		r, replayed, err := p.Redeem(ctx, "x", "mug", 10, "y:k", day(0))
		if err != nil || !replayed || r.ID != 2 || r.Available != 90 {
			t.Fatalf("retry of the old request: %+v replayed=%v err=%v; want the replay of entry 2", r, replayed, err)
		}
		if _, _, err := p.Redeem(ctx, "x:y", "mug", 10, "k", day(0)); !errors.Is(err, ErrInsufficientPoints) {
			t.Fatalf("x:y redeeming with key k: %v, want its own (insufficient) attempt, not x's replay", err)
		}
		if err := db.Migrate(ctx, "points", db.pointsSchema()); err != nil {
			t.Fatalf("migrate again: %v", err)
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
			wg.Go(func() {
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
			})
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
