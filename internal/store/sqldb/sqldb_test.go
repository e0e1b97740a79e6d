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

// TestRebindLeavesQuotedDollarsAlone: only a $ and a digit outside quotes is
// a placeholder; segment predicates and override queries carry SQLite JSON
// paths and quoted identifiers with dollars in them.
func TestRebindLeavesQuotedDollarsAlone(t *testing.T) {
	db := &DB{Dialect: SQLite}
	tests := []struct{ in, want string }{
		{`SELECT json_extract(a, '$.plan'), "$x" FROM t WHERE id = $1 AND n > $12`,
			`SELECT json_extract(a, '$.plan'), "$x" FROM t WHERE id = ?1 AND n > ?12`},
		{`"recencyDays" > $1 AND "frequency" >= $2`, `"recencyDays" > ?1 AND "frequency" >= ?2`},
		{`x = 'it''s $1' AND y = $12`, `x = 'it''s $1' AND y = ?12`},
		{`"a$1" = $3`, `"a$1" = ?3`},
		{`price = $`, `price = $`},
	}
	for _, tt := range tests {
		if got := db.Rebind(tt.in); got != tt.want {
			t.Errorf("Rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if pg := (&DB{Dialect: Postgres}); pg.Rebind(tests[1].in) != tests[1].in {
		t.Errorf("Rebind on PostgreSQL changed %q", tests[1].in)
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
