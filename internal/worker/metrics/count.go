package metrics

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/store"
)

// countCustomers counts the customers created at or before asOf, the
// population the features query evaluates. It is needed only when the
// criteria is pushed down, because the features scan then returns members
// alone; the count reads the customers table (or its override), not orders.
func countCustomers(ctx context.Context, cfg sourceconfig.Config, asOf time.Time) (int64, error) {
	var url string
	switch cfg.Kind {
	case sourceconfig.KindPostgres:
		url = cfg.DSN
	case sourceconfig.KindSQLite:
		url = "sqlite:" + cfg.Path
	default:
		return 0, fmt.Errorf("count customers: %s sources are scanned, not counted", cfg.Kind)
	}
	db, err := store.Open(ctx, url)
	if err != nil {
		return 0, fmt.Errorf("data source unreachable: %w", err)
	}
	defer db.Close()
	src := "customers"
	if q := strings.TrimSpace(cfg.Queries.Customers); q != "" {
		src = "(" + strings.TrimRight(q, ";") + ")"
	}
	var query string
	var arg any
	if db.Dialect == store.SQLite {
		// SQLite timestamps are ISO text in any offset; compare instants.
		query = `SELECT count(*) FROM ` + src + ` c WHERE c.created_at IS NULL OR unixepoch(c.created_at, 'subsec') <= $1`
		arg = float64(asOf.Unix()) + float64(asOf.Nanosecond())/1e9
	} else {
		query = `SELECT count(*) FROM ` + src + ` c WHERE c.created_at IS NULL OR c.created_at <= $1`
		arg = asOf
	}
	var n int64
	if err := db.QueryRow(ctx, query, arg).Scan(&n); err != nil {
		return 0, fmt.Errorf("count customers: %w", err)
	}
	return n, nil
}
