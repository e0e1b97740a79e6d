package sqldb

import (
	"context"
	"fmt"
	"testing"

	"github.com/retention-dev/retention-operator/internal/testdb"
)

func TestMigrateIsIdempotentOnBothDialects(t *testing.T) {
	for name, open := range testdb.Each(Open) {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			ctx := context.Background()
			steps := []string{
				"CREATE TABLE widgets (id TEXT PRIMARY KEY, n INTEGER NOT NULL);\nCREATE INDEX widgets_n ON widgets (n)",
				"ALTER TABLE widgets ADD COLUMN label TEXT",
			}
			for range 2 {
				if err := db.Migrate(ctx, "widgets", steps); err != nil {
					t.Fatalf("migrate: %v", err)
				}
			}
			if _, err := db.Exec(ctx, `INSERT INTO widgets (id, n, label) VALUES ($1, $2, $3)`, "a", 7, "x"); err != nil {
				t.Fatalf("insert: %v", err)
			}
			var n int
			if err := db.QueryRow(ctx, `SELECT n FROM widgets WHERE id = $1 AND label = $2`, "a", "x").Scan(&n); err != nil || n != 7 {
				t.Fatalf("read back n=%d err=%v", n, err)
			}
			var versions int
			if err := db.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE component = $1`, "widgets").Scan(&versions); err != nil || versions != 2 {
				t.Fatalf("versions=%d err=%v", versions, err)
			}
		})
	}
}

func TestRebindLeavesQuotedDollarsAlone(t *testing.T) {
	db := &DB{Dialect: SQLite}
	got := db.Rebind(`SELECT json_extract(a, '$.plan'), "$x" FROM t WHERE id = $1 AND n > $12`)
	want := `SELECT json_extract(a, '$.plan'), "$x" FROM t WHERE id = ?1 AND n > ?12`
	if got != want {
		t.Fatalf("Rebind:\n got %s\nwant %s", got, want)
	}
}

func TestConcurrentFirstMigrationsOnPostgres(t *testing.T) {
	db := testdb.Open(t, testdb.Postgres(t), Open)
	ctx := context.Background()
	errs := make(chan error, 4)
	for i := range 4 {
		go func() {
			errs <- db.Migrate(ctx, "race", []string{fmt.Sprintf("CREATE TABLE IF NOT EXISTS race_%d (id TEXT)", i%1)})
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent migrate: %v", err)
		}
	}
}
