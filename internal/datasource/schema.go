package datasource

import (
	"context"
	"fmt"
	"strings"

	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
)

// Default tables. Timestamps are timestamptz in PostgreSQL and ISO-8601 text
// in SQLite (SQLite has no timestamp type; unixepoch() reads ISO text with an
// offset or Z). Amounts are double precision so sums stream through the
// binary protocol without numeric decoding.
const (
	schemaPostgres = `CREATE TABLE IF NOT EXISTS customers (
	id            text PRIMARY KEY,
	email         text NOT NULL DEFAULT '',
	phone         text NOT NULL DEFAULT '',
	name          text NOT NULL DEFAULT '',
	timezone      text NOT NULL DEFAULT '',
	created_at    timestamptz NOT NULL,
	attributes    jsonb NOT NULL DEFAULT '{}',
	consent_email boolean NOT NULL DEFAULT false,
	consent_sms   boolean NOT NULL DEFAULT false);
CREATE TABLE IF NOT EXISTS orders (
	customer_id text NOT NULL,
	order_id    text NOT NULL,
	amount      double precision NOT NULL,
	occurred_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS events (
	customer_id text NOT NULL,
	type        text NOT NULL,
	occurred_at timestamptz NOT NULL,
	properties  jsonb NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS feedback (
	customer_id text NOT NULL,
	score       integer NOT NULL CHECK (score BETWEEN 0 AND 10),
	occurred_at timestamptz NOT NULL)`

	schemaSQLite = `CREATE TABLE IF NOT EXISTS customers (
	id            TEXT PRIMARY KEY,
	email         TEXT NOT NULL DEFAULT '',
	phone         TEXT NOT NULL DEFAULT '',
	name          TEXT NOT NULL DEFAULT '',
	timezone      TEXT NOT NULL DEFAULT '',
	created_at    TEXT NOT NULL,
	attributes    TEXT NOT NULL DEFAULT '{}',
	consent_email INTEGER NOT NULL DEFAULT 0,
	consent_sms   INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS orders (
	customer_id TEXT NOT NULL,
	order_id    TEXT NOT NULL,
	amount      REAL NOT NULL,
	occurred_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
	customer_id TEXT NOT NULL,
	type        TEXT NOT NULL,
	occurred_at TEXT NOT NULL,
	properties  TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS feedback (
	customer_id TEXT NOT NULL,
	score       INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
	occurred_at TEXT NOT NULL)`

	// The customer_id indexes are created after a bulk load (hack/gendata)
	// because building them once is far cheaper than maintaining them per row.
	indexes = `CREATE INDEX IF NOT EXISTS orders_customer_id ON orders (customer_id);
CREATE INDEX IF NOT EXISTS events_customer_id ON events (customer_id);
CREATE INDEX IF NOT EXISTS feedback_customer_id ON feedback (customer_id)`
)

// Schema returns the DDL of the default tables (statements separated by ";\n",
// as store.Migrate expects) for the dialect.
func Schema(d store.Dialect) string {
	if d == store.SQLite {
		return schemaSQLite
	}
	return schemaPostgres
}

// Indexes returns the DDL of the customer_id indexes (same in both dialects).
func Indexes(store.Dialect) string { return indexes }

// CreateTables creates the default tables, and their indexes when
// withIndexes is set. It is for tests, the data generator and local dev mode;
// production sources own their schema.
func CreateTables(ctx context.Context, db *store.DB, withIndexes bool) error {
	ddl := Schema(db.Dialect)
	if withIndexes {
		ddl += ";\n" + Indexes(db.Dialect)
	}
	return execStatements(ctx, db, ddl)
}

// CreateIndexes creates the customer_id indexes (after a bulk load).
func CreateIndexes(ctx context.Context, db *store.DB) error {
	return execStatements(ctx, db, Indexes(db.Dialect))
}

func execStatements(ctx context.Context, db *store.DB, ddl string) error {
	for _, stmt := range strings.Split(ddl, ";\n") {
		if _, err := db.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("datasource: create tables: %w (statement: %.60s)", err, stmt)
		}
	}
	return nil
}
