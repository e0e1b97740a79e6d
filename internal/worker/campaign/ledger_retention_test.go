package campaign

import (
	"context"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
)

// sentContent counts playbook's sent ledger rows, and those of them that
// still hold an address, subject or body.
func sentContent(t *testing.T, db *store.DB, playbook string) (withContent, rows int) {
	t.Helper()
	if err := db.QueryRow(context.Background(), `SELECT
		COALESCE(sum(CASE WHEN recipient <> '' OR subject <> '' OR body <> '' THEN 1 ELSE 0 END), 0), count(*)
		FROM delivery_ledger WHERE playbook = $1 AND status = 'sent'`, playbook).Scan(&withContent, &rows); err != nil {
		t.Fatal(err)
	}
	return withContent, rows
}

// TestLedgerRetentionSweep: a run sends to every member; a restart after
// the retention period clears each ledger row's address, subject and body
// on its first poll, keeping every row, its key and status, and the figures
// the summary (and so status) reports.
func TestLedgerRetentionSweep(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		recv := newReceiver(t, 0)
		src := &memSource{feats: customers(30)}
		cfg := onEntry("shop/receipt", "hello", "hook", journey.Template{Subject: "Hi {{.email}}", Body: "Hello {{.email}}"})
		cfg.LedgerRetention = 48 * time.Hour
		run := func(start time.Time) *Summary {
			t.Helper()
			return runIdle(t, withHook(t, recv.srv.URL, Options{Playbook: cfg, DB: db, Source: src,
				Clock: (&stepClock{now: start, step: time.Minute}).Now, InSegment: everyone}))
		}
		start := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		first := run(start)
		if kept, rows := sentContent(t, db, cfg.Name); first.Sent == 0 || kept != rows || int64(rows) != first.Sent {
			t.Fatalf("after the first run: %d of %d sent rows hold content, summary sent %d; want all", kept, rows, first.Sent)
		}
		// A day later (inside the 48h period) nothing is cleared.
		if s := run(start.Add(24 * time.Hour)); s.Sent != first.Sent {
			t.Fatalf("sent %d after a restart, want %d", s.Sent, first.Sent)
		}
		if kept, rows := sentContent(t, db, cfg.Name); kept != rows {
			t.Fatalf("inside the retention period %d of %d rows hold content, want all", kept, rows)
		}
		later := run(start.Add(72 * time.Hour))
		if kept, rows := sentContent(t, db, cfg.Name); kept != 0 || int64(rows) != first.Sent {
			t.Fatalf("after the retention period %d of %d rows still hold content; want 0 of %d", kept, rows, first.Sent)
		}
		if later.Sent != first.Sent || later.Enrolled != first.Enrolled || later.Failed != first.Failed {
			t.Fatalf("figures moved with the sweep: before %+v after %+v", first, later)
		}
		if n := len(recv.keys()); int64(n) != first.Sent {
			t.Fatalf("receiver got %d distinct keys, want %d (the sweep must not cause resends)", n, first.Sent)
		}
	})
}
