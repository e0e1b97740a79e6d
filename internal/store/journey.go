package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/retention-dev/retention-operator/internal/journey"
)

// JourneyBatch is what one step of the campaign worker writes atomically:
// new or advanced journey states, the ledger rows for the effects they
// decided, counter increments (suppressions by reason) and trigger
// observations (segment membership / tier last seen).
type JourneyBatch struct {
	States     []journey.State
	Deliveries []Delivery
	Counters   map[string]int64
	Seen       map[string]journey.Seen
}

// shardClause restricts a query to replica shard of shards by bucket.
func shardClause(shard, shards int) string {
	if shards <= 1 {
		return ""
	}
	return fmt.Sprintf(" AND bucket %% %d = %d", shards, shard)
}

// LoadJourneyStates returns every journey state of playbook in the shard,
// keyed by customer id.
func (db *DB) LoadJourneyStates(ctx context.Context, playbook string, shard, shards int) (map[string]journey.State, error) {
	rows, err := db.Query(ctx, `SELECT customer_id, enrolment, step, step_name, status, waiting, holdout, entered_at,
		due_at, sends, converted, converted_at, finished_at, trigger_event FROM journey_states WHERE playbook = $1`+shardClause(shard, shards), playbook)
	if err != nil {
		return nil, fmt.Errorf("load journey states: %w", err)
	}
	defer rows.Close()
	out := map[string]journey.State{}
	for rows.Next() {
		var st journey.State
		var status, event string
		var waiting, holdout, converted int
		var entered, due, convAt, finished int64
		if err := rows.Scan(&st.CustomerID, &st.Enrolment, &st.Step, &st.StepName, &status, &waiting, &holdout,
			&entered, &due, &st.Sends, &converted, &convAt, &finished, &event); err != nil {
			return nil, fmt.Errorf("load journey states: %w", err)
		}
		st.Status, st.Waiting, st.Holdout, st.Converted = journey.Status(status), waiting == 1, holdout == 1, converted == 1
		st.EnteredAt, st.DueAt, st.ConvertedAt, st.FinishedAt = fromMS(entered), fromMS(due), fromMS(convAt), fromMS(finished)
		st.Event = journey.DecodeTriggerEvent(event)
		out[st.CustomerID] = st
	}
	return out, rows.Err()
}

// JourneyTx runs fn in one transaction for a batch of customers of one
// namespace: it first serialises against every other playbook touching the
// same customers (PostgreSQL: transaction-scoped advisory locks taken in
// sorted order, so two workers never deadlock; SQLite: the immediate
// transaction is already exclusive), then counts each customer's messages
// since capSince (pending or sent, all playbooks of the namespace) and hands
// the counts to fn. The batch fn returns is written before commit, so a
// frequency cap holds across concurrent playbooks.
func (db *DB) JourneyTx(ctx context.Context, namespace, playbook string, ids []string, capSince time.Time,
	fn func(sentInWindow map[string]int) (*JourneyBatch, error)) error {
	return db.JourneyTxLeased(ctx, nil, namespace, playbook, ids, capSince, fn)
}

func countSends(ctx context.Context, tx *Tx, namespace string, ids []string, since time.Time) (map[string]int, error) {
	counts := map[string]int{}
	if len(ids) == 0 {
		return counts, nil
	}
	if tx.db.Dialect == Postgres {
		// One fixed statement with an array parameter: PostgreSQL plans it
		// once, where an IN list of 1,000 placeholders is re-planned each time.
		all, err := QueryMap[int](ctx, tx, `SELECT customer_id, count(*) FROM delivery_ledger
			WHERE namespace = $1 AND kind = 'message' AND status IN ('pending', 'sent') AND created_at > $2
			AND customer_id = ANY($3) GROUP BY customer_id`, namespace, ms(since), ids)
		if err != nil {
			return nil, fmt.Errorf("count sends for frequency cap: %w", err)
		}
		return all, nil
	}
	for _, c := range chunkRows(len(ids), 1) {
		part := ids[c[0]:c[1]]
		args := []any{namespace, ms(since)}
		for _, id := range part {
			args = append(args, id)
		}
		partCounts, err := QueryMap[int](ctx, tx, `SELECT customer_id, count(*) FROM delivery_ledger
			WHERE namespace = $1 AND kind = 'message' AND status IN ('pending', 'sent') AND created_at > $2
			AND customer_id IN (`+inList(3, len(part))+`) GROUP BY customer_id`, args...)
		if err != nil {
			return nil, fmt.Errorf("count sends for frequency cap: %w", err)
		}
		maps.Copy(counts, partCounts)
	}
	return counts, nil
}

func writeBatch(ctx context.Context, tx *Tx, namespace, playbook string, b *JourneyBatch) error {
	if err := upsertStates(ctx, tx, playbook, b.States); err != nil {
		return err
	}
	if err := insertDeliveries(ctx, tx, b.Deliveries); err != nil {
		return err
	}
	if err := insertDeliveryVariants(ctx, tx, b.Deliveries); err != nil {
		return err
	}
	if err := addCounters(ctx, tx, playbook, b.Counters); err != nil {
		return err
	}
	return upsertSeen(ctx, tx, playbook, b.Seen)
}

// addCounters adds to the playbook's counters in name order: every
// transaction that adds to several counters locks their rows in the same
// order, so two shards' batches (or a batch and MarkDeliveriesSuppressed)
// wait for each other instead of deadlocking.
func addCounters(ctx context.Context, tx *Tx, playbook string, counters map[string]int64) error {
	names := slices.Sorted(maps.Keys(counters))
	for _, name := range names {
		if _, err := tx.Exec(ctx, `INSERT INTO journey_counters (playbook, name, n) VALUES ($1, $2, $3)
			ON CONFLICT (playbook, name) DO UPDATE SET n = journey_counters.n + excluded.n`, playbook, name, counters[name]); err != nil {
			return fmt.Errorf("journey counters: %w", err)
		}
	}
	return nil
}

const stateCols = 16

// stateUpsertSet is the ON CONFLICT clause shared by both dialects.
const stateUpsertSet = ` ON CONFLICT (playbook, customer_id) DO UPDATE SET enrolment = excluded.enrolment, step = excluded.step,
	step_name = excluded.step_name, status = excluded.status, waiting = excluded.waiting, holdout = excluded.holdout,
	entered_at = excluded.entered_at, due_at = excluded.due_at, sends = excluded.sends, converted = excluded.converted,
	converted_at = excluded.converted_at, finished_at = excluded.finished_at, trigger_event = excluded.trigger_event`

func upsertStates(ctx context.Context, tx *Tx, playbook string, states []journey.State) error {
	if len(states) == 0 {
		return nil
	}
	if tx.db.Dialect == Postgres {
		return upsertStatesPostgres(ctx, tx, playbook, states)
	}
	for _, c := range chunkRows(len(states), stateCols) {
		part := states[c[0]:c[1]]
		args := make([]any, 0, len(part)*stateCols)
		for _, s := range part {
			args = append(args, playbook, s.CustomerID, journey.Bucket(s.CustomerID), s.Enrolment, s.Step, s.StepName,
				string(s.Status), b2i(s.Waiting), b2i(s.Holdout), ms(s.EnteredAt), ms(s.DueAt), s.Sends,
				b2i(s.Converted), ms(s.ConvertedAt), ms(s.FinishedAt), journey.EncodeTriggerEvent(s.Event))
		}
		q := `INSERT INTO journey_states (playbook, customer_id, bucket, enrolment, step, step_name, status, waiting,
			holdout, entered_at, due_at, sends, converted, converted_at, finished_at, trigger_event) VALUES ` + valuesList(len(part), stateCols) + stateUpsertSet
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("write journey states: %w", err)
		}
	}
	return nil
}

func upsertSeen(ctx context.Context, tx *Tx, playbook string, seen map[string]journey.Seen) error {
	ids := slices.Sorted(maps.Keys(seen))
	for _, c := range chunkRows(len(ids), 4) {
		part := ids[c[0]:c[1]]
		args := make([]any, 0, len(part)*4)
		for _, id := range part {
			args = append(args, playbook, id, journey.Bucket(id), string(seen[id]))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO journey_seen (playbook, customer_id, bucket, value) VALUES `+
			valuesList(len(part), 4)+` ON CONFLICT (playbook, customer_id) DO UPDATE SET value = excluded.value`, args...); err != nil {
			return fmt.Errorf("write journey_seen: %w", err)
		}
	}
	return nil
}

// LoadJourneySeen returns what the playbook last observed per customer of its
// shard (journey.Seen).
func (db *DB) LoadJourneySeen(ctx context.Context, playbook string, shard, shards int) (map[string]journey.Seen, error) {
	rows, err := db.Query(ctx, `SELECT customer_id, value FROM journey_seen WHERE playbook = $1`+shardClause(shard, shards), playbook)
	if err != nil {
		return nil, fmt.Errorf("load journey_seen: %w", err)
	}
	defer rows.Close()
	out := map[string]journey.Seen{}
	for rows.Next() {
		var id, v string
		if err := rows.Scan(&id, &v); err != nil {
			return nil, err
		}
		out[id] = journey.Seen(v)
	}
	return out, rows.Err()
}

// JourneyCursor reads a named per-playbook cursor ("" when unset), e.g. the
// last schedule firing or event time processed.
func (db *DB) JourneyCursor(ctx context.Context, playbook, name string) (string, error) {
	var v string
	err := db.QueryRow(ctx, `SELECT value FROM journey_cursors WHERE playbook = $1 AND name = $2`, playbook, name).Scan(&v)
	if noRows(err) {
		return "", nil
	}
	return v, err
}

// SetJourneyCursor stores a named cursor.
func (db *DB) SetJourneyCursor(ctx context.Context, playbook, name, value string) error {
	_, err := db.Exec(ctx, `INSERT INTO journey_cursors (playbook, name, value) VALUES ($1, $2, $3)
		ON CONFLICT (playbook, name) DO UPDATE SET value = excluded.value`, playbook, name, value)
	return err
}

// JourneyCounters returns the playbook's counters (suppressions by reason...).
func (db *DB) JourneyCounters(ctx context.Context, playbook string) (map[string]int64, error) {
	return QueryMap[int64](ctx, db, `SELECT name, n FROM journey_counters WHERE playbook = $1`, playbook)
}

// JourneyTally is one group of journey_states: how many journeys (and
// enrolments, counting re-entries) have this status, group and conversion.
type JourneyTally struct {
	Status     journey.Status
	Holdout    bool
	Converted  bool
	Journeys   int64
	Enrolments int64
}

// JourneyTallies groups the playbook's journeys across all shards.
func (db *DB) JourneyTallies(ctx context.Context, playbook string) ([]JourneyTally, error) {
	rows, err := db.Query(ctx, `SELECT status, holdout, converted, count(*), sum(enrolment) FROM journey_states
		WHERE playbook = $1 GROUP BY status, holdout, converted`, playbook)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []JourneyTally
	for rows.Next() {
		var t JourneyTally
		var status string
		var holdout, converted int
		if err := rows.Scan(&status, &holdout, &converted, &t.Journeys, &t.Enrolments); err != nil {
			return nil, err
		}
		t.Status, t.Holdout, t.Converted = journey.Status(status), holdout == 1, converted == 1
		out = append(out, t)
	}
	return out, rows.Err()
}
