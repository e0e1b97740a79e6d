package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"
)

// The campaign worker reads events again from its cursor minus an overlap
// window, so an event that lands late (older occurred_at than the newest one
// read) is still seen. The ids of the events it already acted on inside that
// window are kept here, per playbook and cursor, so no event acts twice.

// JourneyEventIDs returns the event ids recorded for playbook's cursor.
func (db *DB) JourneyEventIDs(ctx context.Context, playbook, cursor string) (map[string]bool, error) {
	out, err := querySet(ctx, db, `SELECT event_id FROM journey_event_ids WHERE playbook = $1 AND cursor_name = $2`, playbook, cursor)
	if err != nil {
		return nil, fmt.Errorf("load seen event ids: %w", err)
	}
	return out, nil
}

// RecordJourneyEventIDs adds ids (event id -> occurred_at) for playbook's
// cursor and forgets those older than pruneBefore (outside the overlap
// window, never read again; the zero time forgets nothing), if lease is
// still held (ErrLeaseLost otherwise; nil writes unconditionally).
func (db *DB) RecordJourneyEventIDs(ctx context.Context, lease *ShardLease, playbook, cursor string,
	ids map[string]time.Time, pruneBefore time.Time) error {
	tx, err := db.beginLeased(ctx, lease, "record seen event ids")
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	keys := slices.Sorted(maps.Keys(ids))
	for _, c := range chunkRows(len(keys), 4) {
		part := keys[c[0]:c[1]]
		args := make([]any, 0, 4*len(part))
		for _, id := range part {
			args = append(args, playbook, cursor, id, ms(ids[id]))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO journey_event_ids (playbook, cursor_name, event_id, occurred_at) VALUES `+
			valuesList(len(part), 4)+` ON CONFLICT (playbook, cursor_name, event_id) DO NOTHING`, args...); err != nil {
			return fmt.Errorf("record seen event ids: %w", err)
		}
	}
	if !pruneBefore.IsZero() {
		if _, err := tx.Exec(ctx, `DELETE FROM journey_event_ids WHERE playbook = $1 AND cursor_name = $2 AND occurred_at < $3`,
			playbook, cursor, ms(pruneBefore)); err != nil {
			return fmt.Errorf("prune seen event ids: %w", err)
		}
	}
	return tx.Commit()
}
