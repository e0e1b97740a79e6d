package datasource

import (
	"context"
	"fmt"
	"strings"

	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
)

// schemaTemplate is the DDL of the default tables with each column type as
// a placeholder (text, time, real, int, json, bool and false, the boolean
// default), which Schema fills in for the dialect.
const schemaTemplate = `CREATE TABLE IF NOT EXISTS customers (
	id            {text} PRIMARY KEY,
	email         {text} NOT NULL DEFAULT '',
	phone         {text} NOT NULL DEFAULT '',
	name          {text} NOT NULL DEFAULT '',
	timezone      {text} NOT NULL DEFAULT '',
	created_at    {time} NOT NULL,
	attributes    {json} NOT NULL DEFAULT '{}',
	consent_email {bool} NOT NULL DEFAULT {false},
	consent_sms   {bool} NOT NULL DEFAULT {false});
CREATE TABLE IF NOT EXISTS orders (
	customer_id {text} NOT NULL,
	order_id    {text} NOT NULL,
	amount      {real} NOT NULL,
	occurred_at {time} NOT NULL);
CREATE TABLE IF NOT EXISTS events (
	customer_id {text} NOT NULL,
	type        {text} NOT NULL,
	occurred_at {time} NOT NULL,
	properties  {json} NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS feedback (
	customer_id {text} NOT NULL,
	score       {int} NOT NULL CHECK (score BETWEEN 0 AND 10),
	occurred_at {time} NOT NULL)`

// Default tables. Timestamps are timestamptz in PostgreSQL and ISO-8601 text
// in SQLite (SQLite has no timestamp type; unixepoch() reads ISO text with an
// offset or Z). Amounts are double precision so sums stream through the
// binary protocol without numeric decoding.
var (
	schemaPostgres = strings.NewReplacer("{text}", "text", "{time}", "timestamptz", "{real}", "double precision",
		"{int}", "integer", "{json}", "jsonb", "{bool}", "boolean", "{false}", "false").Replace(schemaTemplate)
	schemaSQLite = strings.NewReplacer("{text}", "TEXT", "{time}", "TEXT", "{real}", "REAL",
		"{int}", "INTEGER", "{json}", "TEXT", "{bool}", "INTEGER", "{false}", "0").Replace(schemaTemplate)
)

// The customer_id indexes are created after a bulk load (hack/gendata)
// because building them once is far cheaper than maintaining them per row.
const indexes = `CREATE INDEX IF NOT EXISTS orders_customer_id ON orders (customer_id);
CREATE INDEX IF NOT EXISTS events_customer_id ON events (customer_id);
CREATE INDEX IF NOT EXISTS feedback_customer_id ON feedback (customer_id)`

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
