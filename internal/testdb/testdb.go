// Package testdb gives tests a real database: a fresh PostgreSQL schema in the
// server the run names (or the local one, when it answers), or a SQLite file in
// the test's temp dir. It speaks only URLs, so the packages it serves (the
// state store itself among them) open those URLs with their own Open.
package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// DSNEnv names the environment variable tests read to reach a real
// PostgreSQL; .ci/run sets it. Without it, tests use LocalDSN when a server
// answers there, and skip with a clear message when none does.
const DSNEnv = "RETENTION_TEST_POSTGRES_DSN"

// LocalDSN is where a developer's PostgreSQL usually answers (trust auth,
// database "test"): `make test` on a fresh clone uses it without setup.
const LocalDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// localProbeTimeout bounds the one connection attempt to LocalDSN, so a
// machine without PostgreSQL loses at most this per test binary.
const localProbeTimeout = 2 * time.Second

var chosen struct {
	once sync.Once
	dsn  string
	why  string // why dsn is empty: shown in skip messages
}

// PostgresDSN is the PostgreSQL tests use: $RETENTION_TEST_POSTGRES_DSN when
// set, else LocalDSN when a server answers there within localProbeTimeout,
// else "" (the tests skip, saying why). The choice is made once per test
// binary and said once on stderr, so a run never uses a database silently.
func PostgresDSN() string {
	chosen.once.Do(func() {
		if dsn := os.Getenv(DSNEnv); dsn != "" {
			chosen.dsn = dsn
			return
		}
		if err := ping(LocalDSN); err != nil {
			chosen.why = fmt.Sprintf("%s is unset and no PostgreSQL answered at %s (%v); set %s to run the PostgreSQL tests",
				DSNEnv, LocalDSN, err, DSNEnv)
			return
		}
		chosen.dsn = LocalDSN
		fmt.Fprintf(os.Stderr, "PostgreSQL tests: %s is unset; using %s, which answered\n", DSNEnv, LocalDSN)
	})
	return chosen.dsn
}

func ping(dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), localProbeTimeout)
	defer cancel()
	return db.PingContext(ctx)
}

// SkipWithoutPostgres skips the test with the reason PostgresDSN found none,
// and returns the DSN otherwise.
func SkipWithoutPostgres(t testing.TB) string {
	t.Helper()
	dsn := PostgresDSN()
	if dsn == "" {
		t.Skipf("%s", chosen.why)
	}
	return dsn
}

// Postgres is the URL of a fresh schema in the PostgreSQL PostgresDSN names,
// dropped when the test ends, so tests (and the processes they start) can run
// in parallel and leave nothing behind. It skips the test when there is none.
func Postgres(t testing.TB) string {
	t.Helper()
	dsn := SkipWithoutPostgres(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	ctx := context.Background()
	schema := fmt.Sprintf("t_%d", rand.Int64())
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	// Cleanups run last-in first-out: the caller's connections to the schema
	// close before it is dropped.
	t.Cleanup(func() {
		admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE") //nolint:errcheck
		admin.Close()
	})
	return withSearchPath(dsn, schema)
}

// SchemaDSN is dsn pinned to the schema db works in (a fresh one Postgres
// made), so a second connection or a process the test starts sees the same
// tables.
func SchemaDSN(t testing.TB, dsn string, db interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) string {
	t.Helper()
	var schema string
	if err := db.QueryRowContext(context.Background(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatalf("current schema: %v", err)
	}
	return withSearchPath(dsn, schema)
}

// withSearchPath adds search_path=schema to the query of dsn.
func withSearchPath(dsn, schema string) string {
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

// SQLite is the URL of a SQLite file in the test's temp dir.
func SQLite(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "state.db")
}

// Open opens url with the package's own open and closes the handle when the
// test ends; it fails the test when url does not open.
func Open[DB interface{ Close() error }](t testing.TB, url string, open func(context.Context, string) (DB, error)) DB {
	t.Helper()
	db, err := open(context.Background(), url)
	if err != nil {
		t.Fatalf("open %s: %v", strings.SplitN(url, ":", 2)[0], err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Each opens, with the package's own open, a fresh state store of each kind
// the product supports: PostgreSQL (skipping when there is none) and SQLite.
func Each[DB interface{ Close() error }](open func(context.Context, string) (DB, error)) map[string]func(testing.TB) DB {
	return map[string]func(testing.TB) DB{
		"postgres": func(t testing.TB) DB { return Open(t, Postgres(t), open) },
		"sqlite":   func(t testing.TB) DB { return Open(t, SQLite(t), open) },
	}
}
