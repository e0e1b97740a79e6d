package sqldb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// PostgresDSNEnv names the environment variable tests read to reach a real
// PostgreSQL; .ci/run sets it. Without it, tests use LocalPostgresDSN when a
// server answers there, and skip with a clear message when none does.
const PostgresDSNEnv = "RETENTION_TEST_POSTGRES_DSN"

// LocalPostgresDSN is where a developer's PostgreSQL usually answers (trust
// auth, database "test"): `make test` on a fresh clone uses it without setup.
const LocalPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// localProbeTimeout bounds the one connection attempt to LocalPostgresDSN, so
// a machine without PostgreSQL loses at most this per test binary.
const localProbeTimeout = 2 * time.Second

var testDSN struct {
	once sync.Once
	dsn  string
	why  string // why dsn is empty: shown in skip messages
}

// TestPostgresDSN is the PostgreSQL tests use: $RETENTION_TEST_POSTGRES_DSN
// when set, else LocalPostgresDSN when a server answers there within
// localProbeTimeout, else "" (the tests skip, saying why). The choice is made
// once per test binary and said once on stderr, so a run never uses a
// database silently.
func TestPostgresDSN() string {
	testDSN.once.Do(func() {
		if dsn := os.Getenv(PostgresDSNEnv); dsn != "" {
			testDSN.dsn = dsn
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), localProbeTimeout)
		defer cancel()
		db, err := Open(ctx, LocalPostgresDSN) // Open pings
		if err != nil {
			testDSN.why = fmt.Sprintf("%s is unset and no PostgreSQL answered at %s (%v); set %s to run the PostgreSQL tests",
				PostgresDSNEnv, LocalPostgresDSN, err, PostgresDSNEnv)
			return
		}
		db.Close()
		testDSN.dsn = LocalPostgresDSN
		fmt.Fprintf(os.Stderr, "PostgreSQL tests: %s is unset; using %s, which answered\n", PostgresDSNEnv, LocalPostgresDSN)
	})
	return testDSN.dsn
}

// SkipWithoutPostgres skips the test with the reason TestPostgresDSN found
// none, and returns the DSN otherwise.
func SkipWithoutPostgres(t TB) string {
	t.Helper()
	dsn := TestPostgresDSN()
	if dsn == "" {
		t.Skipf("%s", testDSN.why)
	}
	return dsn
}

// TB is the part of testing.TB the helpers need (kept small so this file does
// not import testing into production binaries).
type TB interface {
	Helper()
	Skipf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
	TempDir() string
}

// OpenTestPostgres opens a fresh schema in the PostgreSQL TestPostgresDSN
// names (TestSchemaDSN) and closes it when the test ends. It skips the test
// when there is none.
func OpenTestPostgres(t TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), TestSchemaDSN(t))
	if err != nil {
		t.Fatalf("open postgres schema: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestSchemaDSN is the DSN of a fresh schema in the PostgreSQL
// TestPostgresDSN names, dropped when the test ends, so tests (and the
// processes they start) can run in parallel and leave nothing behind. It
// skips the test when there is none.
func TestSchemaDSN(t TB) string {
	t.Helper()
	dsn := SkipWithoutPostgres(t)
	ctx := context.Background()
	admin, err := Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	schema := fmt.Sprintf("t_%d", rand.Int64())
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	// Cleanups run last-in first-out: the caller's connections to the
	// schema close before it is dropped.
	t.Cleanup(func() {
		admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE") //nolint:errcheck
		admin.Close()
	})
	return withSearchPath(dsn, schema)
}

// SchemaDSN is dsn pinned to the schema db works in (the fresh one
// OpenTestPostgres made), so a second connection or a process the test
// starts sees the same tables.
func SchemaDSN(t TB, dsn string, db *DB) string {
	t.Helper()
	var schema string
	if err := db.QueryRow(context.Background(), "SELECT current_schema()").Scan(&schema); err != nil {
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

// OpenTestSQLite opens a SQLite file in the test's temp dir.
func OpenTestSQLite(t TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
