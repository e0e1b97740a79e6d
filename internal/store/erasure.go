package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxCustomerIDLength bounds the id `forget` accepts: ids are keys, never
// text, and a bound keeps a mistaken paste from becoming a huge query.
const MaxCustomerIDLength = 256

// CustomerIDError says why a customer id given to Forget was refused.
type CustomerIDError struct{ Reason string }

func (e *CustomerIDError) Error() string {
	return "customer id: " + e.Reason
}

// Erasure is what one Forget run did. It holds no customer data: the
// pseudonym is an HMAC of the id under the store's erasure key.
type Erasure struct {
	Pseudonym string           `json:"pseudonym"`
	Run       int              `json:"run"` // 1 for the first erasure of this customer, 2 for a repeat...
	At        time.Time        `json:"erasedAt"`
	Rows      map[string]int64 `json:"rows"` // table -> rows removed or anonymised
}

// Touched is the number of rows the run changed in all tables.
func (e *Erasure) Touched() int64 {
	var n int64
	for _, v := range e.Rows {
		n += v
	}
	return n
}

// erasureTx is one erasure in progress: the id, the tombstone that replaces
// it and the one-off key that re-keys ids derived from it.
type erasureTx struct {
	tx    *Tx
	id    string
	tomb  string // "erased-<random>": the same in every table, so a member's entries still add up
	rekey []byte // random, never stored: re-keyed values cannot be linked back to the id
	now   time.Time
}

// erasureSteps is the list of what Forget does to each table holding a
// customer's data, in order. docs/privacy.md describes the same list; a
// table that holds customer ids, addresses or bodies must have a step here
// (TestForgetLeavesNoTrace reads every text column of every table).
var erasureSteps = []struct {
	table string
	run   func(ctx context.Context, e *erasureTx) (int64, error)
}{
	{"journey_states", eraseJourneyStates},
	{"journey_seen", deleteRows("journey_seen", "customer_id")},
	{"segment_members", deleteRows("segment_members", "customer_id")},
	{"segment_member_features", deleteRows("segment_member_features", "customer_id")},
	// Incremental runs' per-customer aggregates (segment_aggregates.go);
	// the next run of each such Segment is a full one, so its figures never
	// depend on which erased rows its watermark still covered.
	{"segment_aggregates", eraseAggregates},
	// A sharded metric run's parts in flight (deleted when it publishes).
	{"segment_shard_members", deleteRows("segment_shard_members", "customer_id")},
	{"segment_shard_summaries", deleteRows("segment_shard_summaries", "customer_id")},
	{"delivery_ledger", eraseDeliveries},
	{"points_members", renameRows("points_members", "member_id")},
	{"points_entries", erasePointsEntries},
	{"points_lots", renameRows("points_lots", "member_id")},
	{"points_tier_changes", renameRows("points_tier_changes", "member_id")},
	// The customer's topic choices go with them: the erasure list already
	// stops every send to the id.
	{"subscription_preferences", deleteRows("subscription_preferences", "customer_id")},
	// Ingested events (the triggers they fired are journeys above) and
	// identify traits: the customer's own words, deleted.
	{"ingest_events", deleteRows("ingest_events", "customer_id")},
	{"ingest_traits", deleteRows("ingest_traits", "customer_id")},
}

// Forget removes or anonymises customerID's personal data in every table of
// this store, in one transaction, and appends a row to erasure_log. Rows
// that figures are computed from (journeys, ledger rows, points entries) are
// kept with the id replaced by a random tombstone and addresses, bodies and
// free text cleared; derived copies (segment snapshots, feature rows,
// trigger observations) are deleted. Running it again changes nothing but
// adds a log row with zero counts.
func (db *DB) Forget(ctx context.Context, customerID string, now time.Time) (*Erasure, error) {
	if err := checkCustomerID(customerID); err != nil {
		return nil, err
	}
	if err := db.checkInUse(ctx); err != nil {
		return nil, err
	}
	if err := db.migrateAll(ctx); err != nil {
		return nil, fmt.Errorf("forget: %w", err)
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("forget: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	key, err := erasureKey(ctx, tx)
	if err != nil {
		return nil, err
	}
	if err := lockErasures(ctx, tx, true); err != nil {
		return nil, err
	}
	if err := lockCustomerEverywhere(ctx, tx, customerID); err != nil {
		return nil, err
	}
	e := &erasureTx{tx: tx, id: customerID, tomb: "erased-" + hex.EncodeToString(randomBytes(12)), rekey: randomBytes(32), now: now}
	out := &Erasure{Pseudonym: pseudonym(key, customerID), At: now.UTC().Truncate(time.Millisecond), Rows: map[string]int64{}}
	for _, s := range erasureSteps {
		n, err := s.run(ctx, e)
		if err != nil {
			return nil, fmt.Errorf("forget: %s: %w", s.table, err)
		}
		out.Rows[s.table] = n
	}
	if err := tx.QueryRow(ctx, `SELECT COALESCE(max(run), 0) + 1 FROM erasure_log WHERE pseudonym = $1`,
		out.Pseudonym).Scan(&out.Run); err != nil {
		return nil, fmt.Errorf("forget: erasure log: %w", err)
	}
	counts, err := json.Marshal(out.Rows)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO erasure_log (pseudonym, run, erased_at, counts) VALUES ($1, $2, $3, $4)`,
		out.Pseudonym, out.Run, ms(out.At), string(counts)); err != nil {
		return nil, fmt.Errorf("forget: erasure log: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("forget: %w", err)
	}
	return out, nil
}

// ErrUnusedStore: the state store has no worker's tables, so the URL is
// most likely not the one the workers use; Forget changes nothing there.
var ErrUnusedStore = errors.New("the state store holds no worker tables; check the URL (the workers' --state-store, " +
	"spec.stateStore of the DataSource, or the operator's state store Secret)")

// checkInUse refuses a store no worker has migrated.
func (db *DB) checkInUse(ctx context.Context) error {
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n == 0 {
		return ErrUnusedStore
	}
	return nil
}

func checkCustomerID(id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return &CustomerIDError{Reason: "empty; pass the id the DataSource uses for the customer"}
	case len(id) > MaxCustomerIDLength:
		return &CustomerIDError{Reason: fmt.Sprintf("longer than %d bytes; pass the DataSource's customer id, not a row", MaxCustomerIDLength)}
	case !utf8.ValidString(id):
		return &CustomerIDError{Reason: "not valid UTF-8"}
	}
	return nil
}

// erasureKey returns the store's pseudonym key, creating it on first use
// (two stores never share one; concurrent first uses agree on the row
// inserted first).
func erasureKey(ctx context.Context, tx *Tx) ([]byte, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO erasure_key (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`,
		hex.EncodeToString(randomBytes(32))); err != nil {
		return nil, fmt.Errorf("forget: erasure key: %w", err)
	}
	var secret string
	if err := tx.QueryRow(ctx, `SELECT secret FROM erasure_key WHERE id = 1`).Scan(&secret); err != nil {
		return nil, fmt.Errorf("forget: erasure key: %w", err)
	}
	return hex.DecodeString(secret)
}

// pseudonym is the erasure log's name for a customer: HMAC-SHA256 of the id
// under the store's key, so it matches the same id again but cannot be
// reversed or guessed from a list of ids without the key.
func pseudonym(key []byte, id string) string { return macHex(key, id) }

func macHex(key []byte, s string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error()) // never fails on supported platforms
	}
	return b
}

// lockErasures serialises, on PostgreSQL, an erasure against the journey
// transactions in flight: Forget takes the lock alone (exclusive), every
// JourneyTxLeased shares it. A journey transaction that read the erasure
// list before an erasure committed therefore also writes before the
// erasure deletes, and one that starts after it sees the erasure. Without
// it, a trigger observation of a customer with no journey yet (no customer
// lock for Forget to find) could be written back after the erasure.
// (SQLite's immediate transactions are already exclusive.)
func lockErasures(ctx context.Context, tx *Tx, exclusive bool) error {
	if tx.db.Dialect != Postgres {
		return nil
	}
	lock := `SELECT pg_advisory_xact_lock_shared(hashtext('erasures'), 0)`
	if exclusive {
		lock = `SELECT pg_advisory_xact_lock(hashtext('erasures'), 0)`
	}
	if _, err := tx.Exec(ctx, lock); err != nil {
		return fmt.Errorf("erasure lock: %w", err)
	}
	return nil
}

// lockCustomerEverywhere takes, on PostgreSQL, the customer's lock in every
// namespace that has journeys or ledger rows for them: the same advisory
// lock JourneyTxLeased takes, so a campaign batch for this customer commits
// before the erasure or waits for it. (SQLite's immediate transaction is
// already exclusive.)
func lockCustomerEverywhere(ctx context.Context, tx *Tx, id string) error {
	if tx.db.Dialect != Postgres {
		return nil
	}
	namespaces, err := queryColumn[string](ctx, tx, `SELECT namespace FROM delivery_ledger WHERE customer_id = $1
		UNION SELECT split_part(playbook, '/', 1) FROM journey_states WHERE customer_id = $1`, id)
	if err != nil {
		return fmt.Errorf("forget: find namespaces: %w", err)
	}
	locks := make([]string, 0, len(namespaces))
	for _, ns := range namespaces {
		locks = append(locks, ns+"/"+id)
	}
	sort.Strings(locks)
	for _, l := range locks {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, l); err != nil {
			return fmt.Errorf("forget: lock customer: %w", err)
		}
	}
	return nil
}

// eraseJourneyStates keeps each journey (its step, counts and conversion
// feed the playbook's figures) under the tombstone; an active journey ends
// as exited, since nobody is left to send to. The triggering event (its
// properties are the customer's data) is cleared.
func eraseJourneyStates(ctx context.Context, e *erasureTx) (int64, error) {
	res, err := e.tx.Exec(ctx, `UPDATE journey_states SET customer_id = $1,
		status = CASE WHEN status = 'active' THEN 'exited' ELSE status END,
		finished_at = CASE WHEN status = 'active' THEN $2 ELSE finished_at END,
		waiting = 0, due_at = 0, trigger_event = ''
		WHERE customer_id = $3`, e.tomb, ms(e.now), e.id)
	return affected(res, err)
}

// deleteRows deletes a derived copy: the next run rebuilds it from the data
// source, which no longer yields the customer (see ErasedIDs).
func deleteRows(table, col string) func(context.Context, *erasureTx) (int64, error) {
	return func(ctx context.Context, e *erasureTx) (int64, error) {
		res, err := e.tx.Exec(ctx, `DELETE FROM `+table+` WHERE `+col+` = $1`, e.id)
		return affected(res, err)
	}
}

// renameRows puts the tombstone in place of the id and changes nothing else.
func renameRows(table, col string) func(context.Context, *erasureTx) (int64, error) {
	return func(ctx context.Context, e *erasureTx) (int64, error) {
		res, err := e.tx.Exec(ctx, `UPDATE `+table+` SET `+col+` = $1 WHERE `+col+` = $2`, e.tomb, e.id)
		return affected(res, err)
	}
}

// eraseDeliveries keeps each ledger row's kind, status, points and times
// (the playbook's figures) and clears the address, subject, bodies and the
// idempotency key derived from the id (re-keyed with the one-off key). A
// pending row becomes failed: it must never be sent after the erasure.
func eraseDeliveries(ctx context.Context, e *erasureTx) (int64, error) {
	keys, err := e.strings(ctx, `SELECT idempotency_key FROM delivery_ledger WHERE customer_id = $1`, e.id)
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		if _, err := e.tx.Exec(ctx, `UPDATE delivery_ledger SET idempotency_key = $1, customer_id = $2,
			recipient = '', subject = '', body = '', html = '',
			error = CASE WHEN status = 'pending' THEN 'customer erased' ELSE error END,
			status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END
			WHERE idempotency_key = $3`, e.rekeyed(k), e.tomb, k); err != nil {
			return 0, err
		}
		// The variant a row was sent with follows its key, so per-variant
		// figures do not move.
		if _, err := e.tx.Exec(ctx, `UPDATE delivery_variants SET idempotency_key = $1 WHERE idempotency_key = $2`,
			e.rekeyed(k), k); err != nil {
			return 0, err
		}
	}
	return int64(len(keys)), nil
}

// erasePointsEntries keeps every entry's points, balance and times, so sums
// and liability do not move, under the tombstone. Source and request keys
// (they hold order ids, event keys made of the customer id, or a client's
// Idempotency-Key) are re-keyed; order references and the free-text reason
// of admin adjustments are cleared. Reward names and event types stay.
func erasePointsEntries(ctx context.Context, e *erasureTx) (int64, error) {
	rows, err := e.tx.Query(ctx, `SELECT id, source_key, request_key FROM points_entries WHERE member_id = $1`, e.id)
	if err != nil {
		return 0, err
	}
	type entry struct {
		id              int64
		source, request sql.NullString
	}
	var entries []entry
	for rows.Next() {
		var en entry
		if err := rows.Scan(&en.id, &en.source, &en.request); err != nil {
			rows.Close()
			return 0, err
		}
		entries = append(entries, en)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, en := range entries {
		if _, err := e.tx.Exec(ctx, `UPDATE points_entries SET member_id = $1, source_key = $2, request_key = $3,
			ref = CASE WHEN kind IN ('earn', 'reverse') THEN '' ELSE ref END,
			reason = CASE WHEN kind = 'adjust' THEN '' ELSE reason END
			WHERE id = $4`, e.tomb, e.rekeyedNull(en.source), e.rekeyedNull(en.request), en.id); err != nil {
			return 0, err
		}
	}
	return int64(len(entries)), nil
}

// rekeyed replaces a key derived from the customer by one that stays unique
// but cannot be linked back (the one-off key is discarded).
func (e *erasureTx) rekeyed(k string) string { return "erased:" + macHex(e.rekey, k)[:32] }

func (e *erasureTx) rekeyedNull(k sql.NullString) any {
	if !k.Valid {
		return nil
	}
	return e.rekeyed(k.String)
}

func (e *erasureTx) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	return queryColumn[string](ctx, e.tx, q, args...)
}

func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// eraseAggregates deletes the customer's aggregate rows and marks every
// incremental Segment's last full recomputation as long ago.
func eraseAggregates(ctx context.Context, e *erasureTx) (int64, error) {
	n, err := deleteRows("segment_aggregates", "customer_id")(ctx, e)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		if _, err := e.tx.Exec(ctx, `UPDATE segment_aggregate_runs SET full_at = 0`); err != nil {
			return 0, err
		}
	}
	return n, nil
}
