package datasource

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
)

// ActivityQuery asks for per-customer order activity over orders with
// Since <= occurred_at <= AsOf:
//
//	active  = some order with ActiveAfter < occurred_at <= ActiveUntil
//	months  = bit k set when some order with occurred_at >= MonthsFrom falls in
//	          the UTC calendar month MonthsFrom's month + k (k < Months <= 63)
//
// the facts behind retention (active at the window start) and the cohort
// matrix (months with an order), aggregated in the database so that no order
// leaves it.
type ActivityQuery struct {
	Since, AsOf              time.Time
	ActiveAfter, ActiveUntil time.Time
	// MonthsFrom is the first instant of the first month; Months = 0 asks
	// for no month bits.
	MonthsFrom time.Time
	Months     int
}

// MaxActivityMonths is the most month bits one row carries.
const MaxActivityMonths = 63

// OrderActivity is one customer's row of ScanOrderActivity.
type OrderActivity struct {
	CustomerID string
	Active     bool
	Months     uint64
}

// OrderActivityScanner is implemented by connectors that aggregate order
// activity in the database (PostgreSQL, SQLite).
type OrderActivityScanner interface {
	// ScanOrderActivity calls fn once per customer with an order in
	// [q.Since, q.AsOf], in no particular order; fn's argument is reused.
	ScanOrderActivity(ctx context.Context, q ActivityQuery, fn func(*OrderActivity) error) error
}

// Month k of an order = (year·12 + month - 1) - first month's index, in UTC.
const orderActivityPostgres = `SELECT customer_id::text,
	bool_or(occurred_at > $3 AND occurred_at <= $4),
	COALESCE(bit_or(CASE WHEN occurred_at >= $5 THEN 1::int8 << (date_part('year', occurred_at AT TIME ZONE 'UTC')::int * 12
		+ date_part('month', occurred_at AT TIME ZONE 'UTC')::int - 1 - $6) END), 0)::int8
FROM {orders} t WHERE occurred_at >= $1 AND occurred_at <= $2
GROUP BY customer_id`

// SQLite has no bit_or: the sum of the distinct powers of two is the same.
// strftime converts ISO text with an offset to UTC.
const orderActivitySQLite = `SELECT customer_id, max(s > $3 AND s <= $4),
	COALESCE(sum(DISTINCT CASE WHEN s >= $5 THEN 1 << (CAST(strftime('%Y', occurred_at) AS INTEGER) * 12
		+ CAST(strftime('%m', occurred_at) AS INTEGER) - 1 - $6) END), 0)
FROM (SELECT customer_id, occurred_at, unixepoch(occurred_at, 'subsec') AS s FROM {orders} o) t
WHERE s >= $1 AND s <= $2
GROUP BY customer_id`

func (c *sqlConnector) ScanOrderActivity(ctx context.Context, q ActivityQuery, fn func(*OrderActivity) error) error {
	if q.Months < 0 || q.Months > MaxActivityMonths {
		return fmt.Errorf("datasource %s: order activity over %d months; at most %d fit a row", c.kind(), q.Months, MaxActivityMonths)
	}
	firstIndex := q.firstMonthIndex()
	monthsFrom := q.MonthsFrom
	if q.Months == 0 {
		monthsFrom = q.AsOf.Add(time.Hour) // no order qualifies
	}
	stmt := orderActivityPostgres
	args := []any{q.Since.UTC(), q.AsOf.UTC(), q.ActiveAfter.UTC(), q.ActiveUntil.UTC(), monthsFrom.UTC(), firstIndex}
	if c.db.Dialect == store.SQLite {
		stmt = orderActivitySQLite
		args = []any{epochSeconds(q.Since), epochSeconds(q.AsOf), epochSeconds(q.ActiveAfter), epochSeconds(q.ActiveUntil),
			epochSeconds(monthsFrom), firstIndex}
	}
	var a OrderActivity
	var months int64
	return scanTable(ctx, c, "order activity", replaceOrders(stmt, c.cfg.Queries.Orders), args, func(rows *sql.Rows) (*OrderActivity, error) {
		if err := rows.Scan(&a.CustomerID, &a.Active, &months); err != nil {
			return nil, err
		}
		a.Months = uint64(months)
		return &a, nil
	}, fn)
}
