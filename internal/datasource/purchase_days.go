package datasource

import (
	"context"
	"fmt"
	"strings"
	"time"

	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
)

// PurchaseDays is one buyer's orders at or before an instant, bucketed by UTC
// calendar day (days counted from the Unix epoch): the input of the
// lifetimes-style RFM summary (clv.SummaryFromDays), computed in the database
// so that no order leaves it.
type PurchaseDays struct {
	CustomerID string
	// Days is the number of distinct purchase days.
	Days int64
	// FirstDay and LastDay are the first and last purchase days.
	FirstDay, LastDay int64
	// RepeatSpend = Σ amount over the orders on days after FirstDay.
	RepeatSpend float64
}

// PurchaseDayScanner is implemented by connectors that aggregate purchase
// days in the database (PostgreSQL, SQLite). Files do not: callers fall back
// to streaming orders.
type PurchaseDayScanner interface {
	// ScanPurchaseDays calls fn once per customer with an order at or before
	// asOf, in no particular order. fn's argument is reused between calls.
	ScanPurchaseDays(ctx context.Context, asOf time.Time, fn func(*PurchaseDays) error) error
}

// Per-day sums first (GROUP BY customer, day), then one row per customer.
// PostgreSQL sums as numeric, exactly, so the repeat spend is the exact total
// less the exact first day's spend, whatever order the plan feeds the rows
// in (see featuresPostgres), rounded once to float8. The first day's spend is
// read from the smallest (day, spend) pair: arrays compare element by
// element and a customer has one row per day, so min() needs no sort and no
// window over the 10M-row per-day table (a window here doubled the query's
// time).
const purchaseDaysPostgres = `SELECT customer_id::text, count(*)::int8, min(day)::int8, max(day)::int8,
	COALESCE(sum(spend) - (min(ARRAY[day::numeric, COALESCE(spend, 0)]))[2], 0)::float8
FROM (SELECT customer_id, floor(date_part('epoch', occurred_at) / 86400)::int8 AS day, sum(amount::numeric) AS spend
	FROM {orders} t WHERE occurred_at <= $1 GROUP BY 1, 2) d
GROUP BY customer_id`

// SQLite: date() converts ISO text with any offset to the UTC date, whose
// unixepoch() is an exact multiple of 86400 (so the division is exact, also
// before 1970).
const purchaseDaysSQLite = `SELECT customer_id, count(*), min(day), max(day),
	total(CASE WHEN day > first_day THEN spend ELSE 0.0 END)
FROM (SELECT customer_id, day, spend, min(day) OVER (PARTITION BY customer_id) AS first_day
	FROM (SELECT customer_id, unixepoch(date(occurred_at)) / 86400 AS day, total(amount) AS spend
		FROM {orders} t WHERE unixepoch(occurred_at, 'subsec') <= $1 GROUP BY 1, 2))
GROUP BY customer_id`

func (c *sqlConnector) ScanPurchaseDays(ctx context.Context, asOf time.Time, fn func(*PurchaseDays) error) error {
	q, arg := purchaseDaysPostgres, any(asOf.UTC())
	if c.db.Dialect == store.SQLite {
		q, arg = purchaseDaysSQLite, epochSeconds(asOf)
	}
	q = replaceOrders(q, c.cfg.Queries.Orders)
	rows, err := c.query(ctx, q, arg)
	if err != nil {
		return fmt.Errorf("datasource %s: purchase days query: %w", c.kind(), err)
	}
	defer rows.Close()
	var p PurchaseDays
	for n := 1; rows.Next(); n++ {
		if err := rows.Scan(&p.CustomerID, &p.Days, &p.FirstDay, &p.LastDay, &p.RepeatSpend); err != nil {
			return fmt.Errorf("datasource %s: purchase days row %d: %w", c.kind(), n, err)
		}
		if err := fn(&p); err != nil {
			return err
		}
	}
	return rowsErr(rows, c.kind(), "purchase days")
}

func replaceOrders(q, override string) string {
	return strings.ReplaceAll(q, "{orders}", source(override, "orders"))
}
