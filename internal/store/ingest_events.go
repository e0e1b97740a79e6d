package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// IngestedEvent is one accepted Segment-spec message as the ingestion API
// stores it.
type IngestedEvent struct {
	MessageID string
	// Type is the spec's message type: track, identify, page, screen, group or alias.
	Type string
	// Name is the track event ("order_placed") or the page/screen name.
	Name        string
	UserID      string
	AnonymousID string
	// OccurredAt is the spec's timestamp after clock-skew correction.
	OccurredAt time.Time
	ReceivedAt time.Time
	// Properties is the message's properties (traits for identify and
	// group) as a JSON object; Context its context object ("{}" if none).
	Properties json.RawMessage
	Context    json.RawMessage
}

// CustomerID is who the event is about: userId, else anonymousId.
func (e *IngestedEvent) CustomerID() string {
	if e.UserID != "" {
		return e.UserID
	}
	return e.AnonymousID
}

// ingestColumns is the column list of ingestEventsInsert, in argument order.
const ingestColumns = 11

// ingestRowsPerStatement keeps one INSERT under SQLite's 32,766 bound
// parameters (PostgreSQL allows 65,535).
const ingestRowsPerStatement = 2000

// StoreIngested writes one request's messages and identify traits in one
// transaction: when it returns nil, all of them are durable; on error none
// is. A message whose (source, messageId) is already stored is skipped, so a
// client's retry of an acknowledged request changes nothing. It returns how
// many messages were new.
func (db *DB) StoreIngested(ctx context.Context, source string, events []IngestedEvent, traits []TraitUpdate) (int64, error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("ingest: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	var added int64
	for start := 0; start < len(events); start += ingestRowsPerStatement {
		end := min(start+ingestRowsPerStatement, len(events))
		n, err := insertIngested(ctx, tx, source, events[start:end])
		if err != nil {
			return 0, err
		}
		added += n
	}
	for i := range traits {
		if err := upsertTraits(ctx, tx, source, &traits[i]); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("ingest: commit: %w", err)
	}
	if db.Dialect == Postgres && added > 0 {
		// Campaign workers LISTENing on the channel read the new events at
		// once (see ingestNotifier for why this is after the commit).
		db.ingestNotify.signal(db, source)
	}
	return added, nil
}

// IngestNotifyChannel is the PostgreSQL notification channel the ingestion
// API signals after commits that stored new events (coalesced, see
// ingestNotifier); the payload is the source.
const IngestNotifyChannel = "retention_ingest"

func insertIngested(ctx context.Context, tx *Tx, source string, events []IngestedEvent) (int64, error) {
	if tx.db.Dialect == Postgres {
		return insertIngestedArrays(ctx, tx, source, events)
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO ingest_events (source, message_id, type, name, customer_id, user_id, anonymous_id,
	occurred_at, received_at, properties, context) VALUES `)
	args := make([]any, 0, len(events)*ingestColumns)
	for i := range events {
		e := &events[i]
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteByte('(')
		for c := 1; c <= ingestColumns; c++ {
			if c > 1 {
				q.WriteByte(',')
			}
			q.WriteByte('$')
			q.WriteString(strconv.Itoa(i*ingestColumns + c))
		}
		q.WriteByte(')')
		args = append(args, source, e.MessageID, e.Type, e.Name, e.CustomerID(), e.UserID, e.AnonymousID,
			e.OccurredAt.UnixMicro(), e.ReceivedAt.UnixMicro(), jsonObject(e.Properties), jsonObject(e.Context))
	}
	q.WriteString(` ON CONFLICT (source, message_id) DO NOTHING`)
	return execInsertEvents(ctx, tx, q.String(), args...)
}

// insertIngestedArrays is insertIngested for PostgreSQL: one column array
// per parameter, so a statement has 11 parameters whatever the batch size
// (binding 11 per row made parsing and binding the cost of a call).
func insertIngestedArrays(ctx context.Context, tx *Tx, source string, events []IngestedEvent) (int64, error) {
	n := len(events)
	ids, types, names, customers, users, anons := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n)
	occurred, received := make([]int64, n), make([]int64, n)
	props, ctxs := make([]string, n), make([]string, n)
	for i := range events {
		e := &events[i]
		ids[i], types[i], names[i], customers[i], users[i], anons[i] = e.MessageID, e.Type, e.Name, e.CustomerID(), e.UserID, e.AnonymousID
		occurred[i], received[i] = e.OccurredAt.UnixMicro(), e.ReceivedAt.UnixMicro()
		props[i], ctxs[i] = jsonObject(e.Properties), jsonObject(e.Context)
	}
	return execInsertEvents(ctx, tx, `INSERT INTO ingest_events (source, message_id, type, name, customer_id, user_id, anonymous_id,
	occurred_at, received_at, properties, context)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[],
	$10::text[], $11::text[])
ON CONFLICT (source, message_id) DO NOTHING`, source, ids, types, names, customers, users, anons, occurred, received, props, ctxs)
}

// execInsertEvents runs one insert of events and returns how many it added
// (a message stored before adds none).
func execInsertEvents(ctx context.Context, tx *Tx, query string, args ...any) (int64, error) {
	res, err := tx.Exec(ctx, query, args...)
	var added int64
	if err == nil {
		added, err = res.RowsAffected()
	}
	if err != nil {
		return 0, fmt.Errorf("ingest: insert events: %w", err)
	}
	return added, nil
}

// jsonObject is raw as text, "{}" when absent.
func jsonObject(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return "{}"
	}
	return string(raw)
}

// ScanIngestedEvents calls fn with every track event of source that occurred
// at or after since, oldest first: the campaign worker's event triggers and
// goals read them like a data source's events table. Type is the track
// event's name; Properties holds the top-level properties, strings as they
// are and other values as JSON.
func (db *DB) ScanIngestedEvents(ctx context.Context, source string, since time.Time, fn func(*customer.Event) error) error {
	rows, err := db.Query(ctx, `SELECT customer_id, name, occurred_at, properties FROM ingest_events
		WHERE source = $1 AND type = 'track' AND occurred_at >= $2 ORDER BY occurred_at, message_id`, source, since.UnixMicro())
	if err != nil {
		return fmt.Errorf("ingested events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ev customer.Event
		var at int64
		var props string
		if err := rows.Scan(&ev.CustomerID, &ev.Type, &at, &props); err != nil {
			return fmt.Errorf("ingested events: %w", err)
		}
		ev.OccurredAt = time.UnixMicro(at).UTC()
		ev.Properties = flattenProperties(props)
		if err := fn(&ev); err != nil {
			return err
		}
	}
	return rows.Err()
}

// flattenProperties turns a stored properties object into the string map
// customer.Event carries; the API stored only objects, so a decode error
// cannot happen short of a hand-edited row, which then reads as no properties.
func flattenProperties(obj string) map[string]string {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(obj), &m) != nil || len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
			continue
		}
		out[k] = string(v)
	}
	return out
}

// IngestedMessageIDs returns how many times each message id of source is
// stored (tests and audits: every count must be 1).
func (db *DB) IngestedMessageIDs(ctx context.Context, source string) (map[string]int, error) {
	out, err := QueryMap[int](ctx, db, `SELECT message_id, count(*) FROM ingest_events WHERE source = $1 GROUP BY message_id`, source)
	if err != nil {
		return nil, fmt.Errorf("ingested message ids: %w", err)
	}
	return out, nil
}
