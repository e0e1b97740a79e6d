// Package store holds the workers' state: segment membership snapshots,
// journey state and the delivery ledger, and the points ledger. Each
// component owns its tables and migrations; reaching the database and
// speaking both dialects is package sqldb's job (a leaf package, so engines'
// tests can use a real database without importing the components here).
package store

import (
	"context"

	"github.com/retention-dev/retention-operator/internal/store/sqldb"
)

// DB is a state store handle; the components add their methods to it.
type DB struct {
	*sqldb.DB
	// ingestNotify is usable as its zero value.
	ingestNotify ingestNotifier
}

func wrap(d *sqldb.DB) *DB { return &DB{DB: d} }

// Tx is a transaction that rebinds like DB and knows its DB.
type Tx struct {
	*sqldb.Tx
	db *DB
}

type (
	// Dialect is Postgres or SQLite.
	Dialect = sqldb.Dialect
	// TB is the part of testing.TB the test helpers need.
	TB = sqldb.TB
)

// Dialects.
const (
	Postgres = sqldb.Postgres
	SQLite   = sqldb.SQLite
)

// PostgresDSNEnv names the environment variable PostgreSQL tests read.
const PostgresDSNEnv = sqldb.PostgresDSNEnv

// Open connects to a state store URL (see sqldb.Open).
func Open(ctx context.Context, url string) (*DB, error) {
	d, err := sqldb.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	return wrap(d), nil
}

// Begin starts a transaction.
func (db *DB) Begin(ctx context.Context) (*Tx, error) {
	tx, err := db.DB.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &Tx{Tx: tx, db: db}, nil
}

// RedactURL is a state store URL without its password (see sqldb.RedactURL).
func RedactURL(url string) string { return sqldb.RedactURL(url) }

// OpenTestPostgres opens a throwaway schema in the test PostgreSQL.
func OpenTestPostgres(t TB) *DB { return wrap(sqldb.OpenTestPostgres(t)) }

// SchemaDSN is dsn pinned to the schema db works in (see sqldb.SchemaDSN).
func SchemaDSN(t TB, dsn string, db *DB) string { return sqldb.SchemaDSN(t, dsn, db.DB) }

// OpenTestSQLite opens a SQLite file in the test's temp dir.
func OpenTestSQLite(t TB) *DB { return wrap(sqldb.OpenTestSQLite(t)) }
