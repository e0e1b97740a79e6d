package store

import (
	"context"
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// ScanIngestedEventsReceived is ScanIngestedEvents limited to the events
// received at or after receivedSince (the ingestion API's clock; zero means
// all), read through the (source, received_at) index. It returns the latest
// received_at among the rows read (zero when none), which the caller's next
// read starts from, less a margin for calls that commit late.
func (db *DB) ScanIngestedEventsReceived(ctx context.Context, source string, since, receivedSince time.Time,
	fn func(*customer.Event) error) (time.Time, error) {
	rows, err := db.Query(ctx, `SELECT customer_id, name, occurred_at, received_at, properties FROM ingest_events
		WHERE source = $1 AND type = 'track' AND received_at >= $2 AND occurred_at >= $3
		ORDER BY occurred_at, message_id`, source, micros(receivedSince), since.UnixMicro())
	if err != nil {
		return time.Time{}, fmt.Errorf("ingested events: %w", err)
	}
	defer rows.Close()
	var latest int64
	for rows.Next() {
		var ev customer.Event
		var at, received int64
		var props string
		if err := rows.Scan(&ev.CustomerID, &ev.Type, &at, &received, &props); err != nil {
			return time.Time{}, fmt.Errorf("ingested events: %w", err)
		}
		latest = max(latest, received)
		ev.OccurredAt = time.UnixMicro(at).UTC()
		ev.Properties = flattenProperties(props)
		if err := fn(&ev); err != nil {
			return time.Time{}, err
		}
	}
	if err := rows.Err(); err != nil {
		return time.Time{}, err
	}
	if latest == 0 {
		return time.Time{}, nil
	}
	return time.UnixMicro(latest).UTC(), nil
}

// micros is t in microseconds since the epoch, with the zero time as the
// smallest value, so "since the zero time" means everything.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return -1 << 62
	}
	return t.UnixMicro()
}
