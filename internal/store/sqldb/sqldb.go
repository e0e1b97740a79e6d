// Package sqldb reaches the worker state store (PostgreSQL, or embedded
// SQLite by default), speaks both dialects and runs each component's
// versioned schema migrations. It imports no engine, so engines' own tests can
// use a real database too; package store builds the components' tables on it.
package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the pure-Go "sqlite" driver
)

// Dialect says which SQL flavour a DB speaks.
type Dialect int

const (
	Postgres Dialect = iota
	SQLite
)

// DB is a database/sql handle that knows its dialect. Queries are written with
// PostgreSQL placeholders ($1, $2, ...); Rebind turns them into SQLite's
// numbered ?NNN form, which binds the same positional arguments.
type DB struct {
	*sql.DB
	Dialect Dialect
}

// Open connects to url: "postgres://..." or "postgresql://..." for PostgreSQL,
// "sqlite:PATH" (or a bare file path) for embedded SQLite, ":memory:" for a
// throwaway in-memory SQLite database.
func Open(ctx context.Context, url string) (*DB, error) {
	var db *DB
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		raw, err := sql.Open("pgx", url)
		if err != nil {
			return nil, fmt.Errorf("state store: %w", err)
		}
		db = &DB{DB: raw, Dialect: Postgres}
	default:
		path := strings.TrimPrefix(url, "sqlite:")
		if path == "" {
			return nil, fmt.Errorf("state store: empty SQLite path; set it to a file such as sqlite:/var/lib/retention/state.db")
		}
		// WAL lets readers proceed while the worker writes; busy_timeout makes
		// concurrent writers wait instead of failing with SQLITE_BUSY.
		dsn := path
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		dsn += sep + "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
		raw, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("state store: %w", err)
		}
		if path == ":memory:" {
			// Every connection to :memory: is its own database; keep one.
			raw.SetMaxOpenConns(1)
		}
		db = &DB{DB: raw, Dialect: SQLite}
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("state store unreachable (%s): %w", redact(url), err)
	}
	return db, nil
}

// Rebind rewrites $N placeholders for the DB's dialect. Only a $ followed by
// a digit outside quotes is a placeholder: JSON paths such as '$.plan' and
// quoted identifiers are left alone.
func (db *DB) Rebind(query string) string {
	if db.Dialect != SQLite || !strings.Contains(query, "$") {
		return query
	}
	return rebindSQLite(query)
}

func rebindSQLite(query string) string {
	var b strings.Builder
	b.Grow(len(query))
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '$' && i+1 < len(query) && query[i+1] >= '0' && query[i+1] <= '9':
			c = '?'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Exec, Query and QueryRow rebind before delegating, so callers write one query.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return db.DB.ExecContext(ctx, db.Rebind(query), args...)
}

func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return db.DB.QueryContext(ctx, db.Rebind(query), args...)
}

func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return db.DB.QueryRowContext(ctx, db.Rebind(query), args...)
}

// Tx is a transaction that rebinds like DB.
type Tx struct {
	*sql.Tx
	db *DB
}

// Begin starts a transaction.
func (db *DB) Begin(ctx context.Context) (*Tx, error) {
	tx, err := db.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &Tx{Tx: tx, db: db}, nil
}

func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.Tx.ExecContext(ctx, tx.db.Rebind(query), args...)
}

func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.Tx.QueryContext(ctx, tx.db.Rebind(query), args...)
}

func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.Tx.QueryRowContext(ctx, tx.db.Rebind(query), args...)
}

// RedactURL is url without its password, for messages and output.
func RedactURL(url string) string { return redact(url) }

// redact drops a password from a URL before it reaches an error message.
func redact(url string) string {
	at := strings.LastIndex(url, "@")
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 {
		return url
	}
	return url[:scheme+3] + "***" + url[at:]
}
