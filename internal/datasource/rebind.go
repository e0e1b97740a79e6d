package datasource

import (
	"context"
	"database/sql"
	"strings"

	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
)

// query runs q with $N placeholders on either dialect. It does not use
// store.DB.Rebind because that rewrites every '$', including the ones inside
// string literals such as SQLite JSON paths (json_extract(x, '$.plan')),
// which segment predicates and override queries contain.
func (c *sqlConnector) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if c.db.Dialect == store.SQLite {
		q = rebindSQLite(q)
	}
	return c.db.DB.QueryContext(ctx, q, args...)
}

// rebindSQLite turns $N into ?N outside quoted strings and identifiers.
func rebindSQLite(q string) string {
	if !strings.Contains(q, "$") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q))
	var quote byte // ' or " while inside a literal or identifier
	for i := 0; i < len(q); i++ {
		ch := q[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0 // a doubled quote closes and reopens: same result
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == '$' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9':
			ch = '?'
		}
		b.WriteByte(ch)
	}
	return b.String()
}
