package store

import "context"

// QueryMap runs a query of two columns, a text key and a value, and returns
// them as a map: the shape of every "count per name" read (journey counters,
// active journeys per step, stored message ids).
func QueryMap[V any](ctx context.Context, db *DB, query string, args ...any) (map[string]V, error) {
	rows, err := db.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]V{}
	for rows.Next() {
		var k string
		var v V
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}
