package store

import (
	"context"
	"fmt"
	"time"
)

// SweepDeliveryContent clears the address, subject and bodies of playbook's
// ledger rows created before before, at most limit rows per call (so one
// tick's share of a large backlog stays short), and returns how many it
// cleared. Keys, kinds, statuses, points and times stay: the playbook's
// figures and the idempotency of sends do not depend on the content.
// Pending rows are left whole, since they are still to be sent.
func (db *DB) SweepDeliveryContent(ctx context.Context, playbook string, before time.Time, limit int) (int64, error) {
	if limit <= 0 {
		return 0, nil
	}
	res, err := db.Exec(ctx, `UPDATE delivery_ledger SET recipient = '', subject = '', body = '', html = ''
		WHERE idempotency_key IN (SELECT idempotency_key FROM delivery_ledger
			WHERE playbook = $1 AND status IN ('sent', 'failed', 'dryRun') AND created_at < $2
			AND (recipient <> '' OR subject <> '' OR body <> '' OR html <> '')
			LIMIT $3)`, playbook, ms(before), limit)
	if err != nil {
		return 0, fmt.Errorf("sweep delivery ledger: %w", err)
	}
	return res.RowsAffected()
}
