package datasource

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// PurchaseDays is one buyer's orders at or before an instant, bucketed by UTC
// calendar day (days counted from the Unix epoch): the input of the
// lifetimes-style RFM summary (clv.SummaryFromDays), one row per buyer: the
// job never holds a buyer's orders beyond that buyer's own row.
type PurchaseDays struct {
	CustomerID string
	// Days is the number of distinct purchase days.
	Days int64
	// FirstDay and LastDay are the first and last purchase days.
	FirstDay, LastDay int64
	// RepeatSpend = Σ amount over the orders on days after FirstDay.
	RepeatSpend float64
}

// PurchaseDayScanner is implemented by connectors that group orders by buyer
// in the database (SQLite also by day; PostgreSQL hands out each buyer's
// orders as arrays). Files do not: callers fall back to streaming orders.
type PurchaseDayScanner interface {
	// ScanPurchaseDays calls fn once per customer with an order at or before
	// asOf, in no particular order. fn's argument is reused between calls.
	ScanPurchaseDays(ctx context.Context, asOf time.Time, fn func(*PurchaseDays) error) error
}

// SQLite: date() converts ISO text with any offset to the UTC date, whose
// unixepoch() is an exact multiple of 86400 (so the division is exact, also
// before 1970).
const purchaseDaysSQLite = `SELECT customer_id, count(*), min(day), max(day),
	total(CASE WHEN day > first_day THEN spend ELSE 0.0 END)
FROM (SELECT customer_id, day, spend, min(day) OVER (PARTITION BY customer_id) AS first_day
	FROM (SELECT customer_id, unixepoch(date(occurred_at)) / 86400 AS day, total(amount) AS spend
		FROM {orders} t WHERE unixepoch(occurred_at, 'subsec') <= $1 GROUP BY 1, 2))
GROUP BY customer_id`

// ScanPurchaseDays on SQLite (PostgreSQL has its own:
// purchase_days_postgres.go).
func (c *sqlConnector) ScanPurchaseDays(ctx context.Context, asOf time.Time, fn func(*PurchaseDays) error) error {
	q := replaceOrders(purchaseDaysSQLite, c.cfg.Queries.Orders)
	var p PurchaseDays
	return scanTable(ctx, c, "purchase days", q, []any{epochSeconds(asOf)}, func(rows *sql.Rows) (*PurchaseDays, error) {
		return &p, rows.Scan(&p.CustomerID, &p.Days, &p.FirstDay, &p.LastDay, &p.RepeatSpend)
	}, fn)
}

func replaceOrders(q, override string) string {
	return strings.ReplaceAll(q, "{orders}", source(override, "orders"))
}
