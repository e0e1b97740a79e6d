package store

import (
	"context"
	"fmt"
	"time"
)

// JourneyEventIDTimes is JourneyEventIDs with each id's occurred_at, for a
// worker that keeps the ids in memory between ticks and prunes them as the
// store does.
func (db *DB) JourneyEventIDTimes(ctx context.Context, playbook, cursor string) (map[string]time.Time, error) {
	rows, err := db.Query(ctx, `SELECT event_id, occurred_at FROM journey_event_ids WHERE playbook = $1 AND cursor_name = $2`,
		playbook, cursor)
	if err != nil {
		return nil, fmt.Errorf("load seen event ids: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var at int64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, fmt.Errorf("load seen event ids: %w", err)
		}
		out[id] = fromMS(at)
	}
	return out, rows.Err()
}
