package datasource

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
)

// sqlConnector reads the plain tables (or their override queries) through
// database/sql; PostgreSQL and SQLite share it, each with its own
// featureScan.
type sqlConnector struct {
	db  *store.DB
	cfg sourceconfig.Config
	// featureScan runs the dialect's features query, with aq's activity
	// columns when aq is not nil (fn's activity argument is then filled,
	// else zero).
	featureScan func(ctx context.Context, q FeatureQuery, aq *ActivityQuery, fn func(*customer.Features, *OrderActivity) error) error
}

// ScanFeatures implements Connector.
func (c *sqlConnector) ScanFeatures(ctx context.Context, q FeatureQuery, fn func(*customer.Features) error) error {
	return c.featureScan(ctx, q, nil, func(f *customer.Features, _ *OrderActivity) error { return fn(f) })
}

// ScanFeaturesActivity implements FeatureActivityScanner.
func (c *sqlConnector) ScanFeaturesActivity(ctx context.Context, q FeatureQuery, aq ActivityQuery, fn func(*customer.Features, *OrderActivity) error) error {
	if err := checkActivity(c.kind(), q, aq); err != nil {
		return err
	}
	return c.featureScan(ctx, q, &aq, fn)
}

func (c *sqlConnector) Close() error { return c.db.Close() }

// newFeatureRow returns the one Features (with its Attributes map) and
// OrderActivity a features scan decodes every row into.
func newFeatureRow() (*customer.Features, *OrderActivity) {
	return &customer.Features{Attributes: map[string]string{}}, &OrderActivity{}
}

func (c *sqlConnector) kind() string {
	if c.db.Dialect == store.SQLite {
		return "sqlite"
	}
	return "postgres"
}

// sinceFilter wraps a table read with occurred_at >= since. SQLite compares
// instants as unixepoch() seconds because its timestamps are text in any offset.
func (c *sqlConnector) sinceQuery(override, table, cols string, since time.Time) (string, []any) {
	src := source(override, table)
	if c.db.Dialect == store.SQLite {
		return "SELECT " + cols + " FROM " + src + " t WHERE unixepoch(occurred_at, 'subsec') >= $1", []any{epochSeconds(since)}
	}
	return "SELECT " + cols + " FROM " + src + " t WHERE occurred_at >= $1", []any{since}
}

func epochSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

func (c *sqlConnector) ScanCustomers(ctx context.Context, fn func(*customer.Customer) error) error {
	q := "SELECT id, email, phone, name, timezone, created_at, attributes, consent_email, consent_sms FROM " +
		source(c.cfg.Queries.Customers, "customers") + " t"
	var cu customer.Customer
	var email, phone, name, tz sql.NullString
	var created, attrs any
	var ce, cs sql.NullBool
	return scanTable(ctx, c, "customers", q, nil, func(rows *sql.Rows) (*customer.Customer, error) {
		if err := rows.Scan(&cu.ID, &email, &phone, &name, &tz, &created, &attrs, &ce, &cs); err != nil {
			return nil, err
		}
		cu.Email, cu.Phone, cu.Name, cu.TimeZone = email.String, phone.String, name.String, tz.String
		cu.ConsentEmail, cu.ConsentSMS = ce.Bool, cs.Bool
		var err error
		if cu.CreatedAt, err = sqlTime(created); err != nil {
			return nil, fmt.Errorf("created_at: %w", err)
		}
		cu.Attributes = map[string]string{}
		if err := parseAttributes(sqlBytes(attrs), cu.Attributes); err != nil {
			return nil, fmt.Errorf("attributes: %w", err)
		}
		return &cu, nil
	}, fn)
}

func (c *sqlConnector) ScanOrders(ctx context.Context, since time.Time, fn func(*customer.Order) error) error {
	q, args := c.sinceQuery(c.cfg.Queries.Orders, "orders", "customer_id, order_id, amount, occurred_at", since)
	var o customer.Order
	scan := occurredScanner(&o.OccurredAt, &o.CustomerID, &o.OrderID, &o.Amount)
	return scanTable(ctx, c, "orders", q, args, func(rows *sql.Rows) (*customer.Order, error) {
		return &o, scan(rows)
	}, fn)
}

func (c *sqlConnector) ScanEvents(ctx context.Context, since time.Time, fn func(*customer.Event) error) error {
	q, args := c.sinceQuery(c.cfg.Queries.Events, "events", "customer_id, type, properties, occurred_at", since)
	var e customer.Event
	var props any
	scan := occurredScanner(&e.OccurredAt, &e.CustomerID, &e.Type, &props)
	return scanTable(ctx, c, "events", q, args, func(rows *sql.Rows) (*customer.Event, error) {
		if err := scan(rows); err != nil {
			return nil, err
		}
		e.Properties = map[string]string{}
		if err := parseAttributes(sqlBytes(props), e.Properties); err != nil {
			return nil, fmt.Errorf("properties: %w", err)
		}
		return &e, nil
	}, fn)
}

func (c *sqlConnector) ScanFeedback(ctx context.Context, since time.Time, fn func(*customer.Feedback) error) error {
	q, args := c.sinceQuery(c.cfg.Queries.Feedback, "feedback", "customer_id, score, occurred_at", since)
	var fb customer.Feedback
	scan := occurredScanner(&fb.OccurredAt, &fb.CustomerID, &fb.Score)
	return scanTable(ctx, c, "feedback", q, args, func(rows *sql.Rows) (*customer.Feedback, error) {
		return &fb, scan(rows)
	}, fn)
}

// occurredScanner scans a row of an event-like table, whose last column is
// occurred_at, into dest and *at; the column list is built once per read,
// not once per row.
func occurredScanner(at *time.Time, dest ...any) func(*sql.Rows) error {
	var raw any
	all := append(dest, &raw)
	return func(rows *sql.Rows) error {
		if err := rows.Scan(all...); err != nil {
			return err
		}
		var err error
		if *at, err = sqlTime(raw); err != nil {
			return fmt.Errorf("occurred_at: %w", err)
		}
		return nil
	}
}

// scanTable runs a table read and hands each row, as decode makes it, to
// fn; a row that does not decode is reported with its table and number
// ("datasource postgres: orders row 12: occurred_at: …").
func scanTable[T any](ctx context.Context, c *sqlConnector, table, q string, args []any,
	decode func(*sql.Rows) (*T, error), fn func(*T) error) error {
	rows, err := c.db.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("datasource %s: read %s: %w", c.kind(), table, err)
	}
	defer rows.Close()
	for n := 1; rows.Next(); n++ {
		row, err := decode(rows)
		if err != nil {
			return fmt.Errorf("datasource %s: %s row %d: %w", c.kind(), table, n, err)
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	return rowsErr(rows, c.kind(), table)
}

func rowsErr(rows *sql.Rows, kind, table string) error {
	if err := rows.Err(); err != nil {
		return fmt.Errorf("datasource %s: read %s: %w", kind, table, err)
	}
	return nil
}

// sqlTime accepts what drivers hand back for a timestamp: time.Time from
// PostgreSQL, ISO text from SQLite.
func sqlTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return t.UTC(), nil
	case string:
		return parseISO(t)
	case []byte:
		return parseISO(string(t))
	case int64:
		return time.Unix(t, 0).UTC(), nil
	case float64:
		return time.Unix(0, int64(t*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("unsupported timestamp value of type %T", v)
}

// isoLayouts are the text forms SQLite timestamps take in practice.
var isoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

func parseISO(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range isoLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q is not ISO-8601 (2006-01-02T15:04:05Z)", s)
}

func sqlBytes(v any) []byte {
	switch t := v.(type) {
	case []byte:
		return t
	case string:
		return []byte(t)
	}
	return nil
}
