package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/retention-dev/retention-operator/internal/journey"
)

// Delivery statuses. A row is written pending BEFORE its effect and moves to
// sent (or failed, permanently) after it; a worker that starts finds its
// pending rows and performs them again with the same idempotency key.
const (
	DeliveryPending = "pending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
	// DeliveryDryRun rows record what a dry-run playbook would have sent.
	DeliveryDryRun = "dryRun"
)

// Delivery kinds: a message through a channel, or a points award.
const (
	DeliveryMessage = "message"
	DeliveryPoints  = "points"
)

// Delivery is one ledger row.
type Delivery struct {
	Key        string
	Namespace  string
	Playbook   string
	CustomerID string
	Step       string
	Kind       string
	Channel    string // channel name, or loyalty program for points
	To         string
	Subject    string
	Body       string
	HTML       string
	Points     int64
	Status     string
	Attempts   int
	CreatedAt  time.Time
	DoneAt     time.Time
	Error      string
	// Variant is the send step's variant this message is ("" without
	// variants), stored in delivery_variants beside the row.
	Variant string
}

const deliveryCols = 18

// insertDeliveries writes ledger rows; a key that exists already is left as
// is (ON CONFLICT DO NOTHING), which makes replaying a batch harmless.
func insertDeliveries(ctx context.Context, tx *Tx, ds []Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	if tx.db.Dialect == Postgres {
		return insertDeliveriesPostgres(ctx, tx, ds)
	}
	for _, c := range chunkRows(len(ds), deliveryCols) {
		part := ds[c[0]:c[1]]
		args := make([]any, 0, len(part)*deliveryCols)
		for _, d := range part {
			args = append(args, d.Key, d.Namespace, d.Playbook, d.CustomerID, journey.Bucket(d.CustomerID), d.Step, d.Kind,
				d.Channel, d.To, d.Subject, d.Body, d.HTML, d.Points, d.Status, d.Attempts, ms(d.CreatedAt), ms(d.DoneAt), d.Error)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO delivery_ledger (idempotency_key, namespace, playbook, customer_id, bucket,
			step, kind, channel, recipient, subject, body, html, points, status, attempts, created_at, done_at, error)
			VALUES `+valuesList(len(part), deliveryCols)+` ON CONFLICT (idempotency_key) DO NOTHING`, args...); err != nil {
			return fmt.Errorf("write delivery ledger: %w", err)
		}
	}
	return nil
}

// PendingDeliveries returns the playbook's unfinished ledger rows in the
// shard in ledger order (see LedgerOrder): effects that were recorded but not
// confirmed. Because the worker sends in the same order, the rows a crash
// left in flight come first, and a restart re-sends them before anything new.
func (db *DB) PendingDeliveries(ctx context.Context, playbook string, shard, shards int) ([]Delivery, error) {
	out, err := queryRows(ctx, db, func(rows *sql.Rows, d *Delivery) error {
		var created int64
		err := rows.Scan(&d.Key, &d.Namespace, &d.Playbook, &d.CustomerID, &d.Step, &d.Kind, &d.Channel, &d.To,
			&d.Subject, &d.Body, &d.HTML, &d.Points, &d.Status, &d.Attempts, &created)
		d.CreatedAt = fromMS(created)
		return err
	}, `SELECT idempotency_key, namespace, playbook, customer_id, step, kind, channel, recipient,
		subject, body, html, points, status, attempts, created_at FROM delivery_ledger
		WHERE playbook = $1 AND status = 'pending'`+shardClause(shard, shards)+` ORDER BY created_at, customer_id, idempotency_key`, playbook)
	if err != nil {
		return nil, fmt.Errorf("load pending deliveries: %w", err)
	}
	return out, nil
}

// DeliveryOutcome is the result of performing one ledger row.
type DeliveryOutcome struct {
	Key    string
	Status string // sent or failed
	Error  string // short, customer-free reason for failed rows
}

// MarkDeliveries records outcomes at time at in one transaction; sent rows
// are updated with one statement per chunk.
//
// On PostgreSQL the commit does not wait for the WAL flush (synchronous_commit
// off for this transaction only). The row was claimed durably before the send
// (pending, written with the journey states); losing this mark to a database
// crash leaves it pending, and the worker sends it again with the same
// idempotency key, as after a worker crash between send and mark. A send
// waits for its mark while holding its concurrency slot (the campaign
// worker's outcome recorder), so the mark's cost bounds the send rate: when
// every outcome is "sent" (the usual case) it is one statement, one round
// trip, with no flush.
func (db *DB) MarkDeliveries(ctx context.Context, outcomes []DeliveryOutcome, at time.Time) error {
	if db.Dialect == Postgres && allSent(outcomes) {
		keys := make([]string, len(outcomes))
		for i, o := range outcomes {
			keys[i] = o.Key
		}
		// set_config(..., true) lasts until the end of the statement's own
		// (implicit) transaction, whose commit it governs.
		if _, err := db.Exec(ctx, `WITH nosync AS (SELECT set_config('synchronous_commit', 'off', true))
			UPDATE delivery_ledger SET status = 'sent', done_at = $1, attempts = attempts + 1
			FROM nosync WHERE idempotency_key = ANY($2)`, ms(at), keys); err != nil {
			return fmt.Errorf("mark deliveries sent: %w", err)
		}
		return nil
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if db.Dialect == Postgres {
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit TO OFF`); err != nil {
			return fmt.Errorf("mark deliveries: %w", err)
		}
	}
	var sent []any
	for _, o := range outcomes {
		if o.Status == DeliverySent {
			sent = append(sent, o.Key)
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE delivery_ledger SET status = $1, error = $2, done_at = $3, attempts = attempts + 1
			WHERE idempotency_key = $4`, o.Status, o.Error, ms(at), o.Key); err != nil {
			return fmt.Errorf("mark delivery: %w", err)
		}
	}
	if db.Dialect == Postgres && len(sent) > 0 {
		keys := make([]string, len(sent))
		for i, k := range sent {
			keys[i] = k.(string)
		}
		if _, err := tx.Exec(ctx, `UPDATE delivery_ledger SET status = 'sent', done_at = $1, attempts = attempts + 1
			WHERE idempotency_key = ANY($2)`, ms(at), keys); err != nil {
			return fmt.Errorf("mark deliveries sent: %w", err)
		}
		sent = nil
	}
	for _, c := range chunkRows(len(sent), 1) {
		part := sent[c[0]:c[1]]
		args := append([]any{ms(at)}, part...)
		if _, err := tx.Exec(ctx, `UPDATE delivery_ledger SET status = 'sent', done_at = $1, attempts = attempts + 1
			WHERE idempotency_key IN (`+inList(2, len(part))+`)`, args...); err != nil {
			return fmt.Errorf("mark deliveries sent: %w", err)
		}
	}
	return tx.Commit()
}

// DeliveryCounts returns the playbook's ledger rows by kind/status, e.g.
// "message/sent": 120.
func (db *DB) DeliveryCounts(ctx context.Context, playbook string) (map[string]int64, error) {
	rows, err := db.Query(ctx, `SELECT kind, status, count(*) FROM delivery_ledger WHERE playbook = $1 GROUP BY kind, status`, playbook)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var kind, status string
		var n int64
		if err := rows.Scan(&kind, &status, &n); err != nil {
			return nil, err
		}
		out[kind+"/"+status] = n
	}
	return out, rows.Err()
}

// LedgerOrder sorts rows the way PendingDeliveries returns them: by creation
// time (milliseconds, as stored), then customer, then key.
func LedgerOrder(ds []Delivery) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := &ds[i], &ds[j]
		if ca, cb := ms(a.CreatedAt), ms(b.CreatedAt); ca != cb {
			return ca < cb
		}
		if a.CustomerID != b.CustomerID {
			return a.CustomerID < b.CustomerID
		}
		return a.Key < b.Key
	})
}

func allSent(outcomes []DeliveryOutcome) bool {
	for _, o := range outcomes {
		if o.Status != DeliverySent {
			return false
		}
	}
	return true
}
