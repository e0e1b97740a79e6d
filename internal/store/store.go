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

// Dialect is Postgres or SQLite.
type Dialect = sqldb.Dialect

// Dialects.
const (
	Postgres = sqldb.Postgres
	SQLite   = sqldb.SQLite
)

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
