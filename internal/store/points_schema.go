package store

import (
	"context"
	"strings"
)

// pointsMigrations is the loyalty ledger schema, version i+1 = step i
// (append-only). Times are BIGINT microseconds since the Unix epoch (UTC) so
// that one schema and one set of queries work in PostgreSQL and SQLite; 0 means
// "not set". {{ID}} becomes each dialect's auto-increment primary key. A step
// the dialects cannot share has a SQLite variant in pointsSQLiteSteps.
var pointsMigrations = []string{`
CREATE TABLE points_members (
	member_id     TEXT PRIMARY KEY,
	tier          TEXT NOT NULL DEFAULT '',
	below_since   BIGINT NOT NULL DEFAULT 0,
	last_activity BIGINT NOT NULL DEFAULT 0,
	enrolled_at   BIGINT NOT NULL
);
CREATE TABLE points_entries (
	id            {{ID}},
	member_id     TEXT NOT NULL,
	kind          TEXT NOT NULL,
	source_key    TEXT NOT NULL UNIQUE,` + entryFigures + entryIndexes + `
CREATE TABLE points_lots (
	id           {{ID}},
	member_id    TEXT NOT NULL,
	entry_id     BIGINT NOT NULL,
	earned_at    BIGINT NOT NULL,
	available_at BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL DEFAULT 0,
	original     BIGINT NOT NULL,
	remaining    BIGINT NOT NULL CHECK (remaining >= 0)
);
CREATE INDEX points_lots_open ON points_lots (member_id, earned_at) WHERE remaining > 0;
CREATE INDEX points_lots_entry ON points_lots (entry_id);
CREATE TABLE points_tier_changes (
	id         {{ID}},
	member_id  TEXT NOT NULL,
	from_tier  TEXT NOT NULL,
	to_tier    TEXT NOT NULL,
	direction  TEXT NOT NULL,
	changed_at BIGINT NOT NULL
);
CREATE TABLE points_cursors (
	name TEXT PRIMARY KEY,
	at   BIGINT NOT NULL
)`, `
ALTER TABLE points_entries ADD COLUMN request_key TEXT;
ALTER TABLE points_entries ALTER COLUMN source_key DROP NOT NULL;
UPDATE points_entries SET ` + requestKeyFromSource + `, source_key = NULL WHERE ` + isRequestSource + `;
` + requestIndex}

// points_entries' columns after its keys and its indexes, the same in
// every version.
const (
	entryFigures = `
	points        BIGINT NOT NULL,
	amount        DOUBLE PRECISION NOT NULL DEFAULT 0,
	ref           TEXT NOT NULL DEFAULT '',
	reason        TEXT NOT NULL DEFAULT '',
	balance_after BIGINT NOT NULL DEFAULT 0,
	occurred_at   BIGINT NOT NULL,
	recorded_at   BIGINT NOT NULL
);`
	entryIndexes = `
CREATE INDEX points_entries_member ON points_entries (member_id, id);
CREATE INDEX points_entries_member_time ON points_entries (member_id, occurred_at);
CREATE INDEX points_entries_kind_time ON points_entries (kind, occurred_at);`
)

// Version 2 stores a client request's Idempotency-Key in its own column,
// unique per (member, kind), instead of in source_key as
// "redeem:<member>:<key>": joined with ':', member "x" key "y:k" and member
// "x:y" key "k" were the same source key. Request entries have no source key.
// Existing rows are split using their own member_id, so each keeps its key.
const (
	isRequestSource = `kind IN ('redeem', 'adjust')
	AND substr(source_key, 1, length(kind) + length(member_id) + 2) = kind || ':' || member_id || ':'`
	requestKeyFromSource = `request_key = substr(source_key, length(kind) + length(member_id) + 3)`
	requestIndex         = `CREATE UNIQUE INDEX points_entries_request ON points_entries (member_id, kind, request_key)
	WHERE request_key IS NOT NULL`
)

// pointsSQLiteSteps replaces steps SQLite cannot run as written: it cannot
// drop NOT NULL, so version 2 rebuilds points_entries (and its indexes).
var pointsSQLiteSteps = map[int]string{1: `
CREATE TABLE points_entries_v2 (
	id            {{ID}},
	member_id     TEXT NOT NULL,
	kind          TEXT NOT NULL,
	source_key    TEXT UNIQUE,
	request_key   TEXT,` + entryFigures + `
INSERT INTO points_entries_v2 (id, member_id, kind, source_key, request_key, points, amount, ref, reason,
	balance_after, occurred_at, recorded_at)
SELECT id, member_id, kind, source_key, NULL, points, amount, ref, reason, balance_after, occurred_at, recorded_at
FROM points_entries;
UPDATE points_entries_v2 SET ` + requestKeyFromSource + `, source_key = NULL WHERE ` + isRequestSource + `;
DROP TABLE points_entries;
ALTER TABLE points_entries_v2 RENAME TO points_entries;` + entryIndexes + `
` + requestIndex}

// migratePoints creates or upgrades the ledger tables.
func (db *DB) migratePoints(ctx context.Context) error {
	return db.Migrate(ctx, "points", db.pointsSchema())
}

// pointsSchema renders the migrations for the DB's dialect.
func (db *DB) pointsSchema() []string {
	id := "BIGSERIAL PRIMARY KEY"
	if db.Dialect == SQLite {
		id = "INTEGER PRIMARY KEY AUTOINCREMENT"
	}
	out := make([]string, len(pointsMigrations))
	for i, m := range pointsMigrations {
		if alt, ok := pointsSQLiteSteps[i]; ok && db.Dialect == SQLite {
			m = alt
		}
		out[i] = strings.ReplaceAll(m, "{{ID}}", id)
	}
	return out
}
