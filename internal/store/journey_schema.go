package store

import "context"

// journeyMigrations holds journey state, what each playbook last saw of its
// triggers, its counters, segment membership snapshots, and the ids of the
// events read inside the event cursor's overlap window (version i+1 = step
// i, append-only). Times are BIGINT milliseconds since the Unix epoch,
// 0 = not set; booleans are INTEGER 0/1, so one set of queries serves
// PostgreSQL and SQLite. bucket = FNV-1a-64(customer_id) mod 4096 lets
// replicas split customers (replica i of n owns bucket % n == i).
// trigger_event is the event that enrolled the journey (journey.TriggerEvent
// as JSON, capped at journey.MaxEventPropertiesBytes; empty for none): customer
// data, cleared by Forget.
var journeyMigrations = []string{`
CREATE TABLE journey_states (
	playbook     TEXT NOT NULL,
	customer_id  TEXT NOT NULL,
	bucket       INTEGER NOT NULL,
	enrolment    INTEGER NOT NULL,
	step         INTEGER NOT NULL,
	step_name    TEXT NOT NULL,
	status       TEXT NOT NULL,
	waiting      INTEGER NOT NULL,
	holdout      INTEGER NOT NULL,
	entered_at   BIGINT NOT NULL,
	due_at       BIGINT NOT NULL,
	sends        INTEGER NOT NULL,
	converted    INTEGER NOT NULL,
	converted_at BIGINT NOT NULL,
	finished_at  BIGINT NOT NULL,
	PRIMARY KEY (playbook, customer_id)
);
CREATE INDEX journey_states_due ON journey_states (playbook, status, due_at);
CREATE TABLE journey_seen (
	playbook    TEXT NOT NULL,
	customer_id TEXT NOT NULL,
	bucket      INTEGER NOT NULL,
	value       TEXT NOT NULL,
	PRIMARY KEY (playbook, customer_id)
);
CREATE TABLE journey_cursors (
	playbook TEXT NOT NULL,
	name     TEXT NOT NULL,
	value    TEXT NOT NULL,
	PRIMARY KEY (playbook, name)
);
CREATE TABLE journey_counters (
	playbook TEXT NOT NULL,
	name     TEXT NOT NULL,
	n        BIGINT NOT NULL,
	PRIMARY KEY (playbook, name)
);
CREATE TABLE IF NOT EXISTS segment_members (
	segment     TEXT NOT NULL,
	customer_id TEXT NOT NULL,
	PRIMARY KEY (segment, customer_id)
)`, `
CREATE TABLE journey_event_ids (
	playbook    TEXT NOT NULL,
	cursor_name TEXT NOT NULL,
	event_id    TEXT NOT NULL,
	occurred_at BIGINT NOT NULL,
	PRIMARY KEY (playbook, cursor_name, event_id)
)`, `
ALTER TABLE journey_states ADD COLUMN trigger_event TEXT NOT NULL DEFAULT ''`}

// deliveryMigrations is the delivery ledger: one row per intended effect
// (message or points award), keyed by its deterministic idempotency key,
// written BEFORE the effect and marked after it. The (namespace, customer_id,
// created_at) index serves frequency caps across playbooks.
var deliveryMigrations = []string{`
CREATE TABLE delivery_ledger (
	idempotency_key TEXT PRIMARY KEY,
	namespace       TEXT NOT NULL,
	playbook        TEXT NOT NULL,
	customer_id     TEXT NOT NULL,
	bucket          INTEGER NOT NULL,
	step            TEXT NOT NULL,
	kind            TEXT NOT NULL,
	channel         TEXT NOT NULL,
	recipient       TEXT NOT NULL,
	subject         TEXT NOT NULL,
	body            TEXT NOT NULL,
	html            TEXT NOT NULL,
	points          BIGINT NOT NULL,
	status          TEXT NOT NULL,
	attempts        INTEGER NOT NULL,
	created_at      BIGINT NOT NULL,
	done_at         BIGINT NOT NULL,
	error           TEXT NOT NULL
);
CREATE INDEX delivery_ledger_cap ON delivery_ledger (namespace, customer_id, created_at);
CREATE INDEX delivery_ledger_open ON delivery_ledger (playbook, status)`}

// MigrateJourney creates or upgrades the journey and delivery tables, and
// the variant tables every ledger writer needs.
func (db *DB) MigrateJourney(ctx context.Context) error {
	for _, c := range []struct {
		component string
		steps     []string
	}{{"journey", journeyMigrations}, {"delivery", deliveryMigrations}, {"variants", variantMigrations}} {
		if err := db.Migrate(ctx, c.component, c.steps); err != nil {
			return err
		}
	}
	// Beside its own tables, a campaign worker reads what other components
	// that may not have started yet write: the suppression list, the
	// subscription choices and (in the journey batch) the erasure list.
	return db.migrateInOrder(ctx, (*DB).MigrateSuppressions, (*DB).MigrateSubscriptions, (*DB).MigrateErasure)
}
