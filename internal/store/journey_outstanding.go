package store

import (
	"context"
	"fmt"
)

// PlaybookOutstanding counts what is still to do for playbook in every shard:
// active journeys plus ledger rows not yet performed. A one-shot worker that
// holds no shard lease waits for this to reach 0 instead of leaving the work
// to a holder that may be gone.
func (db *DB) PlaybookOutstanding(ctx context.Context, playbook string) (int64, error) {
	var active, pending int64
	if err := db.QueryRow(ctx, `SELECT count(*) FROM journey_states WHERE playbook = $1 AND status = 'active'`,
		playbook).Scan(&active); err != nil {
		return 0, fmt.Errorf("count active journeys of %s: %w", playbook, err)
	}
	if err := db.QueryRow(ctx, `SELECT count(*) FROM delivery_ledger WHERE playbook = $1 AND status = 'pending'`,
		playbook).Scan(&pending); err != nil {
		return 0, fmt.Errorf("count pending deliveries of %s: %w", playbook, err)
	}
	return active + pending, nil
}
