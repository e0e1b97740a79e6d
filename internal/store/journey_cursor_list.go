package store

import (
	"context"
	"fmt"
)

// JourneyCursorsByPrefix returns the playbook's cursors whose name starts
// with prefix (name -> value), e.g. every shard's "broadcast/..." cursor.
// prefix must hold no LIKE wildcard (% or _); cursor names are the
// worker's own constants.
func (db *DB) JourneyCursorsByPrefix(ctx context.Context, playbook, prefix string) (map[string]string, error) {
	rows, err := db.Query(ctx, `SELECT name, value FROM journey_cursors WHERE playbook = $1 AND name LIKE $2`,
		playbook, prefix+"%")
	if err != nil {
		return nil, fmt.Errorf("read journey cursors: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return nil, fmt.Errorf("read journey cursors: %w", err)
		}
		out[name] = value
	}
	return out, rows.Err()
}
