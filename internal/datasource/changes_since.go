package datasource

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
)

// UpdatedAtColumn is the optional column of the orders, customers and
// feedback tables (or their override queries) that says when a row was last
// written. When a table has it, incremental runs find corrected rows by it,
// however old the row's own date; without it only rows dated inside the
// overlap window are seen (docs/metrics-incremental.md).
const UpdatedAtColumn = "updated_at"

// ChangeColumns says which tables carry UpdatedAtColumn.
type ChangeColumns struct {
	Orders, Customers, Feedback bool
}

// TimeRange is the instants After < t <= Until.
type TimeRange struct {
	After, Until time.Time
}

// ChangeQuery asks for the customers whose aggregates may differ between a
// previous run (as of Previous) and this one (as of AsOf):
//
//	rows of a table with an updated_at column: updated_at > UpdatedSince
//	  (new, late and corrected rows, however old their date), and rows
//	  dated Previous < occurred_at (created_at) <= AsOf (dated in the future
//	  at the previous run, due now);
//	rows of a table without one: Since < occurred_at (created_at) <= AsOf
//	  (new and late rows, and corrections of rows dated since Since);
//	orders with occurred_at in one of Crossings (orders that crossed a window edge).
type ChangeQuery struct {
	Since, Previous, UpdatedSince, AsOf time.Time
	Crossings                           []TimeRange
	Columns                             ChangeColumns
}

// IncrementalSource is implemented by the connectors whose tables can be
// read by date and by customer (PostgreSQL, SQLite). Files are not: a file
// has no index, so reading the day's rows costs a full pass anyway.
type IncrementalSource interface {
	// ChangeColumns reports which tables have an updated_at column.
	ChangeColumns(ctx context.Context) (ChangeColumns, error)
	// ChangedCustomers calls fn once per customer id matching q.
	ChangedCustomers(ctx context.Context, q ChangeQuery, fn func(id string) error) error
	// Only returns a connector reading only the rows of the given customers:
	// its features, purchase days and activity are exactly the full scan's
	// rows of those customers. It shares the connection; do not Close it.
	Only(ids []string) Connector
}

// ChangeColumns looks at the columns each table (or override) returns.
func (c *sqlConnector) ChangeColumns(ctx context.Context) (ChangeColumns, error) {
	has := func(override, table string) (bool, error) {
		rows, err := c.db.Query(ctx, "SELECT * FROM "+source(override, table)+" t WHERE 1 = 0")
		if err != nil {
			return false, fmt.Errorf("datasource %s: read %s columns: %w", c.kind(), table, err)
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return false, fmt.Errorf("datasource %s: read %s columns: %w", c.kind(), table, err)
		}
		return slices.Contains(cols, UpdatedAtColumn), nil
	}
	var cc ChangeColumns
	var err error
	if cc.Orders, err = has(c.cfg.Queries.Orders, "orders"); err != nil {
		return cc, err
	}
	if cc.Customers, err = has(c.cfg.Queries.Customers, "customers"); err != nil {
		return cc, err
	}
	cc.Feedback, err = has(c.cfg.Queries.Feedback, "feedback")
	return cc, err
}

// changeSQL builds the UNION of ChangeQuery's selects with numbered
// parameters (SQLite's are rebound to ?N, so numbering works in both).
type changeSQL struct {
	sqlite bool
	parts  []string
	args   []any
}

func (b *changeSQL) arg(t time.Time) string {
	if b.sqlite {
		b.args = append(b.args, epochSeconds(t))
	} else {
		b.args = append(b.args, t.UTC())
	}
	return "$" + strconv.Itoa(len(b.args))
}

// instant is column as a comparable instant (SQLite's are ISO text).
func (b *changeSQL) instant(column string) string {
	if b.sqlite {
		return "unixepoch(" + column + ", 'subsec')"
	}
	return column
}

func (b *changeSQL) add(idColumn, src, column string, r TimeRange, bounded bool) {
	cond := b.instant(column) + " > " + b.arg(r.After)
	if bounded {
		cond += " AND " + b.instant(column) + " <= " + b.arg(r.Until)
	}
	id := idColumn
	if !b.sqlite {
		id += "::text"
	}
	b.parts = append(b.parts, "SELECT "+id+" FROM "+src+" t WHERE "+cond)
}

func (c *sqlConnector) ChangedCustomers(ctx context.Context, q ChangeQuery, fn func(id string) error) error {
	b := &changeSQL{sqlite: c.db.Dialect == store.SQLite}
	orders := source(c.cfg.Queries.Orders, "orders")
	customers := source(c.cfg.Queries.Customers, "customers")
	feedback := source(c.cfg.Queries.Feedback, "feedback")
	for _, t := range []struct {
		id, src, date string
		updated       bool
	}{
		{"customer_id", orders, "occurred_at", q.Columns.Orders},
		{"customer_id", feedback, "occurred_at", q.Columns.Feedback},
		{"id", customers, "created_at", q.Columns.Customers},
	} {
		recent := TimeRange{After: q.Since, Until: q.AsOf}
		if t.updated {
			recent.After = q.Previous
			b.add(t.id, t.src, UpdatedAtColumn, TimeRange{After: q.UpdatedSince}, false)
		}
		b.add(t.id, t.src, t.date, recent, true)
	}
	for _, r := range q.Crossings {
		if r.Until.After(r.After) {
			b.add("customer_id", orders, "occurred_at", r, true)
		}
	}
	rows, err := c.db.Query(ctx, strings.Join(b.parts, "\nUNION\n"), b.args...)
	if err != nil {
		return fmt.Errorf("datasource %s: changed customers query: %w", c.kind(), err)
	}
	defer rows.Close()
	var id string
	for n := 1; rows.Next(); n++ {
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("datasource %s: changed customers row %d: %w", c.kind(), n, err)
		}
		if err := fn(id); err != nil {
			return err
		}
	}
	return rowsErr(rows, c.kind(), "changed customers")
}

// onlyQueries restricts each table read to the customers ids. The ids are
// inlined as SQL literals, because the restricted sources are spliced into
// queries whose own parameters are already numbered: SQLite gets an IN list
// of string literals (single quotes doubled), PostgreSQL one text[]
// literal in an E-string (array elements double-quoted with \ and " escaped, then \ and '
// escaped for the string), which reads the same whatever
// standard_conforming_strings says and plans much faster than 10,000
// separate constants.
func onlyQueries(d store.Dialect, qs sourceconfig.Queries, ids []string) sourceconfig.Queries {
	var list strings.Builder
	var in string
	if d == store.SQLite {
		for i, id := range ids {
			if i > 0 {
				list.WriteByte(',')
			}
			list.WriteString("'" + strings.ReplaceAll(id, "'", "''") + "'")
		}
		in = " IN (" + list.String() + ")"
		if len(ids) == 0 {
			in = " IN (NULL)" // matches nothing
		}
	} else {
		elem := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
		list.WriteByte('{')
		for i, id := range ids {
			if i > 0 {
				list.WriteByte(',')
			}
			list.WriteString(`"` + elem.Replace(id) + `"`)
		}
		list.WriteByte('}')
		lit := strings.NewReplacer(`\`, `\\`, "'", "''").Replace(list.String())
		in = "::text = ANY (E'" + lit + "'::text[])"
	}
	only := func(override, table, column string) string {
		return "SELECT * FROM " + source(override, table) + " r WHERE r." + column + in
	}
	return sourceconfig.Queries{
		Customers: only(qs.Customers, "customers", "id"),
		Orders:    only(qs.Orders, "orders", "customer_id"),
		Events:    only(qs.Events, "events", "customer_id"),
		Feedback:  only(qs.Feedback, "feedback", "customer_id"),
	}
}

func (c *postgresConnector) Only(ids []string) Connector {
	cp := *c
	cp.cfg.Queries = onlyQueries(store.Postgres, c.cfg.Queries, ids)
	cp.featureScan = cp.scanFeatures // the copy's, which reads the restricted queries
	return &cp
}

func (c *sqliteConnector) Only(ids []string) Connector {
	cp := *c
	cp.cfg.Queries = onlyQueries(store.SQLite, c.cfg.Queries, ids)
	cp.featureScan = cp.scanFeatures // the copy's, which reads the restricted queries
	return &cp
}
