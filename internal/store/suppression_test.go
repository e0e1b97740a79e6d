package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/testdb"
)

// migrateSuppressionsTwice migrates twice: the second must be harmless.
func migrateSuppressionsTwice(db *DB, ctx context.Context) error {
	if err := db.MigrateSuppressions(ctx); err != nil {
		return err
	}
	return db.MigrateSuppressions(ctx)
}

func openSuppressionsSQLite(t *testing.T) *DB {
	t.Helper()
	db := testdb.Open(t, testdb.SQLite(t), Open)
	if err := migrateSuppressionsTwice(db, context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// Hard bounces and complaints suppress at once with their reason; the same
// provider event recorded twice counts once; another namespace is not
// affected; look-ups normalise the address.
func TestRecordFeedbackSuppressesAtOnce(t *testing.T) {
	forEachDialect(t, migrateSuppressionsTwice, func(t *testing.T, ctx context.Context, db *DB) {
		at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		hard := Feedback{Provider: "sendgrid", EventID: "ev-1", Address: "Gone@Example.com", Kind: FeedbackHardBounce, At: at}
		res, err := db.RecordFeedback(ctx, "shop", hard, SoftBouncePolicy{})
		if err != nil || res.Reason != SuppressedBounced || res.Duplicate {
			t.Fatalf("hard bounce: %+v %v", res, err)
		}
		if res, err := db.RecordFeedback(ctx, "shop", hard, SoftBouncePolicy{}); err != nil || !res.Duplicate {
			t.Fatalf("replayed hard bounce: %+v %v; want duplicate", res, err)
		}
		spam := Feedback{Provider: "mailgun", EventID: "ev-2", Address: "angry@example.com", Kind: FeedbackComplaint, At: at}
		if res, err := db.RecordFeedback(ctx, "shop", spam, SoftBouncePolicy{}); err != nil || res.Reason != SuppressedComplained {
			t.Fatalf("complaint: %+v %v", res, err)
		}
		got, err := db.SuppressedAddresses(ctx, "shop", []string{"gone@example.com", "Angry <ANGRY@example.com>", "fine@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"gone@example.com": SuppressedBounced, "Angry <ANGRY@example.com>": SuppressedComplained}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("suppressed = %v, want %v", got, want)
		}
		if other, _ := db.SuppressedAddresses(ctx, "other", []string{"gone@example.com"}); len(other) != 0 {
			t.Fatalf("namespace other sees shop's suppressions: %v", other)
		}
		var rows int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM suppression_feedback`).Scan(&rows); err != nil || rows != 2 {
			t.Fatalf("feedback rows = %d (%v), want 2 (the replay is not a row)", rows, err)
		}
		// No address in clear in either table.
		for _, q := range []string{`SELECT address_key FROM suppressions`, `SELECT address_key FROM suppression_feedback`} {
			r, err := db.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for r.Next() {
				var k string
				_ = r.Scan(&k)
				if strings.Contains(k, "@") || len(k) != 64 {
					t.Errorf("%s holds %q, want a SHA-256 hex digest", q, k)
				}
			}
			r.Close()
		}
	})
}

// Soft bounces suppress only at the Limit-th inside the window; older ones
// do not count; a replayed soft bounce does not count twice.
func TestSoftBouncesSuppressAfterLimit(t *testing.T) {
	forEachDialect(t, migrateSuppressionsTwice, func(t *testing.T, ctx context.Context, db *DB) {
		at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		soft := func(id string, when time.Time) FeedbackResult {
			t.Helper()
			res, err := db.RecordFeedback(ctx, "shop", Feedback{Provider: "postmark", EventID: id,
				Address: "full@example.com", Kind: FeedbackSoftBounce, At: when}, SoftBouncePolicy{})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		// One long before the window: does not count.
		if r := soft("old", at.Add(-DefaultSoftBounceWindow-time.Hour)); r.Reason != "" {
			t.Fatalf("old soft bounce suppressed: %+v", r)
		}
		for i := 1; i < DefaultSoftBounceLimit; i++ {
			if r := soft(fmt.Sprint("s", i), at.Add(time.Duration(i)*time.Hour)); r.Reason != "" {
				t.Fatalf("soft bounce %d of %d suppressed: %+v", i, DefaultSoftBounceLimit, r)
			}
			// The same event again is a duplicate and does not bring the limit closer.
			if r := soft(fmt.Sprint("s", i), at.Add(time.Duration(i)*time.Hour)); !r.Duplicate {
				t.Fatalf("replay of soft bounce %d not a duplicate: %+v", i, r)
			}
		}
		if got, _ := db.SuppressedAddresses(ctx, "shop", []string{"full@example.com"}); len(got) != 0 {
			t.Fatalf("suppressed before the limit: %v", got)
		}
		if r := soft("last", at.Add(time.Duration(DefaultSoftBounceLimit)*time.Hour)); r.Reason != SuppressedBounced {
			t.Fatalf("soft bounce %d: %+v, want suppressed as bounced", DefaultSoftBounceLimit, r)
		}
		if got, _ := db.SuppressedAddresses(ctx, "shop", []string{"full@example.com"}); got["full@example.com"] != SuppressedBounced {
			t.Fatalf("not suppressed after the limit: %v", got)
		}
	})
}

// A configured policy replaces the default: Limit 1 suppresses on the first.
func TestSoftBouncePolicyLimit(t *testing.T) {
	db := openSuppressionsSQLite(t)
	res, err := db.RecordFeedback(context.Background(), "shop", Feedback{Provider: "mailgun", EventID: "x",
		Address: "a@example.com", Kind: FeedbackSoftBounce, At: time.Now()}, SoftBouncePolicy{Limit: 1, Window: time.Hour})
	if err != nil || res.Reason != SuppressedBounced {
		t.Fatalf("%+v %v", res, err)
	}
}

// Suppressed ledger rows leave pending once and are counted once by reason.
func TestMarkDeliveriesSuppressed(t *testing.T) {
	forEachDialect(t, (*DB).MigrateJourney, func(t *testing.T, ctx context.Context, db *DB) {
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		var ds []Delivery
		for _, k := range []string{"k1", "k2", "k3"} {
			ds = append(ds, Delivery{Key: k, Namespace: "ns", Playbook: "p", CustomerID: k, Step: "s", Kind: DeliveryMessage,
				Channel: "mail", To: k + "@x", Status: DeliveryPending, CreatedAt: now})
		}
		if err := db.JourneyTx(ctx, "ns", "p", nil, now, func(map[string]int) (*JourneyBatch, error) {
			return &JourneyBatch{Deliveries: ds}, nil
		}); err != nil {
			t.Fatal(err)
		}
		reasons := map[string]string{"k1": SuppressedBounced, "k2": SuppressedComplained}
		for range 2 { // the second call finds nothing pending and counts nothing
			if err := db.MarkDeliveriesSuppressed(ctx, "p", reasons, now); err != nil {
				t.Fatal(err)
			}
		}
		pend, _ := db.PendingDeliveries(ctx, "p", 0, 1)
		if len(pend) != 1 || pend[0].Key != "k3" {
			t.Fatalf("pending %+v, want k3 only", pend)
		}
		ctrs, _ := db.JourneyCounters(ctx, "p")
		if ctrs["suppressed/bounced"] != 1 || ctrs["suppressed/complained"] != 1 {
			t.Fatalf("counters %v", ctrs)
		}
		counts, _ := db.DeliveryCounts(ctx, "p")
		if counts["message/suppressed"] != 2 || counts["message/sent"] != 0 {
			t.Fatalf("ledger counts %v", counts)
		}
	})
}

// Soft bounces of one address recorded concurrently still suppress at the
// limit: each transaction counts the others' rows.
func TestConcurrentSoftBouncesReachTheLimit(t *testing.T) {
	forEachDialect(t, migrateSuppressionsTwice, func(t *testing.T, ctx context.Context, db *DB) {
		at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		errs := make(chan error, DefaultSoftBounceLimit)
		for i := range DefaultSoftBounceLimit {
			go func() {
				_, err := db.RecordFeedback(ctx, "shop", Feedback{Provider: "mailgun", EventID: fmt.Sprint("c", i),
					Address: "busy@example.com", Kind: FeedbackSoftBounce, At: at.Add(time.Duration(i) * time.Second)}, SoftBouncePolicy{})
				errs <- err
			}()
		}
		for range DefaultSoftBounceLimit {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := db.SuppressedAddresses(ctx, "shop", []string{"busy@example.com"}); got["busy@example.com"] != SuppressedBounced {
			t.Fatalf("after %d concurrent soft bounces: %v", DefaultSoftBounceLimit, got)
		}
	})
}

// Soft bounces arriving out of order count by when they happened: three
// inside one window suppress whatever order they arrive in; three spread
// wider than any one window do not.
func TestSoftBouncesCountByEventTime(t *testing.T) {
	db := openSuppressionsSQLite(t)
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	w := DefaultSoftBounceWindow
	record := func(addr, id string, when time.Time) string {
		t.Helper()
		res, err := db.RecordFeedback(ctx, "shop", Feedback{Provider: "sendgrid", EventID: id, Address: addr,
			Kind: FeedbackSoftBounce, At: when}, SoftBouncePolicy{})
		if err != nil {
			t.Fatal(err)
		}
		return res.Reason
	}
	// Latest first, earliest last: the last one recorded completes the window.
	record("late@example.com", "l2", at.Add(2*time.Hour))
	record("late@example.com", "l1", at.Add(time.Hour))
	if r := record("late@example.com", "l0", at); r != SuppressedBounced {
		t.Fatalf("three in one window, out of order: reason %q, want bounced", r)
	}
	// 0, 0.6w, 1.2w: every pair of neighbours is within a window, all three never.
	for i, f := range []float64{0, 0.6, 1.2} {
		if r := record("spread@example.com", fmt.Sprint("s", i), at.Add(time.Duration(f*float64(w)))); r != "" {
			t.Fatalf("spread soft bounce %d suppressed", i)
		}
	}
}
