package sqldb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// PostgresDSNEnv names the environment variable tests read to reach a real
// PostgreSQL; .ci/run sets it. Tests skip with a clear message without it.
const PostgresDSNEnv = "RETENTION_TEST_POSTGRES_DSN"

// TB is the part of testing.TB the helpers need (kept small so this file does
// not import testing into production binaries).
type TB interface {
	Helper()
	Skipf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
	TempDir() string
}

// OpenTestPostgres opens a fresh schema in the PostgreSQL named by
// RETENTION_TEST_POSTGRES_DSN and drops it when the test ends, so tests can run
// in parallel and leave nothing behind. It skips the test when the variable is unset.
func OpenTestPostgres(t TB) *DB {
	t.Helper()
	dsn := os.Getenv(PostgresDSNEnv)
	if dsn == "" {
		t.Skipf("set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run PostgreSQL tests", PostgresDSNEnv)
	}
	ctx := context.Background()
	admin, err := Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	schema := fmt.Sprintf("t_%d", rand.Int64())
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	db, err := Open(ctx, dsn+sep+"search_path="+schema)
	if err != nil {
		t.Fatalf("open postgres schema: %v", err)
	}
	t.Cleanup(func() {
		db.Close()
		admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE") //nolint:errcheck
		admin.Close()
	})
	return db
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
