package store

import (
	"context"
	"fmt"
	"time"
)

// DeliverySuppressed marks a ledger row whose recipient was on the
// suppression list when it was due to be sent: it is never sent, and its
// reason is in the row's error column and the playbook's counters.
const DeliverySuppressed = "suppressed"

// MarkDeliveriesSuppressed moves the still-pending ledger rows keyed in
// reasons (idempotency key -> suppression reason) to DeliverySuppressed and
// counts each under "suppressed/<reason>" for playbook, in one transaction.
// A row that is no longer pending (marked by an earlier run) is not counted
// again, so a restart between the look-up and this write counts once.
func (db *DB) MarkDeliveriesSuppressed(ctx context.Context, playbook string, reasons map[string]string, at time.Time) error {
	if len(reasons) == 0 {
		return nil
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	counts := map[string]int64{}
	for key, reason := range reasons {
		res, err := tx.Exec(ctx, `UPDATE delivery_ledger SET status = $1, error = $2, done_at = $3
			WHERE idempotency_key = $4 AND status = $5`, DeliverySuppressed, "suppressed: "+reason, ms(at), key, DeliveryPending)
		if err != nil {
			return fmt.Errorf("mark delivery suppressed: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("mark delivery suppressed: %w", err)
		} else if n > 0 {
			counts["suppressed/"+reason] += n
		}
	}
	if err := addCounters(ctx, tx, playbook, counts); err != nil {
		return err
	}
	return tx.Commit()
}
