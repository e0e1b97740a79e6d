package datasource

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
)

// fileConnector reads exported files. Every scan streams its file; nothing
// but per-customer aggregates is held in memory.
type fileConnector struct {
	cfg sourceconfig.Config
	// dir is cfg.Path resolved and confined to cfg.Root (confinePath).
	dir string
	// issues are the rows the last ScanFeatures skipped, by kind.
	issues issueCounts
}

// DataIssues implements IssueReporter.
func (c *fileConnector) DataIssues() map[string]int64 { return c.issues.snapshot() }

func openFile(cfg sourceconfig.Config) (*fileConnector, error) {
	dir, err := confinePath("path", cfg.Path, cfg.Root)
	if err != nil {
		return nil, fmt.Errorf("datasource file: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("datasource file: path %q: %w", cfg.Path, err)
	}
	if cfg.Format == sourceconfig.FormatTransactions && st.IsDir() {
		return nil, fmt.Errorf("datasource file: path %q is a directory; format transactions reads one log file", cfg.Path)
	}
	if cfg.Format != sourceconfig.FormatTransactions && !st.IsDir() {
		return nil, fmt.Errorf("datasource file: path %q is a file; format %s reads a directory holding customers.%s, orders.%s, ...", cfg.Path, cfg.Format, cfg.Format, cfg.Format)
	}
	return &fileConnector{cfg: cfg, dir: dir}, nil
}

func (c *fileConnector) Close() error { return nil }

// tablePath is dir/<table>.<format>; ok is false when the optional file is absent.
func (c *fileConnector) tablePath(table string) (path, name string, ok bool) {
	if c.cfg.Format == sourceconfig.FormatTransactions {
		return c.dir, filepath.Base(c.cfg.Path), table == "orders"
	}
	name = table + "." + string(c.cfg.Format)
	path = filepath.Join(c.dir, name)
	_, err := os.Stat(path)
	return path, name, err == nil
}

// orderColumns applies the mapping; a transaction log without a mapping is
// recognised by common header names or, headerless, by the CDNOW layouts
// (5 fields: id, sample id, date, CDs, dollars; 4: id, date, CDs, dollars).
func (c *fileConnector) orderColumns() []column {
	m := c.cfg.Columns
	if c.cfg.Format != sourceconfig.FormatTransactions {
		return []column{
			{name: or(m.CustomerID, "customer_id"), setting: "columns.customerId"},
			{name: or(m.OrderID, "order_id"), setting: "columns.orderId", optional: m.OrderID == ""},
			{name: or(m.Amount, "amount"), setting: "columns.amount"},
			{name: or(m.Timestamp, "occurred_at"), setting: "columns.timestamp"},
		}
	}
	return []column{
		{name: m.CustomerID, setting: "columns.customerId", aliases: []string{"customer_id", "customer", "customerid", "id"},
			byWidth: map[int]int{3: 1, 4: 1, 5: 1}},
		{name: m.OrderID, setting: "columns.orderId", optional: m.OrderID == "", aliases: []string{"order_id", "orderid"}},
		{name: m.Amount, setting: "columns.amount", aliases: []string{"amount", "dollar_value", "dollars", "value", "revenue", "total"},
			byWidth: map[int]int{3: 3, 4: 4, 5: 5}},
		{name: m.Timestamp, setting: "columns.timestamp", aliases: []string{"date", "occurred_at", "timestamp", "order_date"},
			byWidth: map[int]int{3: 2, 4: 2, 5: 3}},
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// scanOrderRows streams every order row, validated, regardless of time. A
// row repeating an earlier row's customer and order id is skipped (every
// scan, so all figures agree) and counted in issues when it is not nil.
func (c *fileConnector) scanOrderRows(issues *issueCounts, fn func(*customer.Order) error) error {
	path, name, _ := c.tablePath("orders")
	var o customer.Order
	keys := newOrderKeys()
	var repeats int64
	defer func() {
		if issues != nil {
			issues.add(IssueDuplicateOrder, repeats)
		}
	}()
	return c.eachRow(path, name, c.orderColumns(), func(v []string, line int) (err error) {
		if v[0] == "" {
			return fmt.Errorf("datasource file %s line %d: customer id is empty", name, line)
		}
		if !c.cfg.Partition.Has(v[0]) {
			return nil // another shard's customer: its rows and issues are that shard's
		}
		o.CustomerID = v[0]
		o.OrderID = v[1]
		if o.OrderID == "" {
			o.OrderID = strconv.Itoa(line) // logs such as CDNOW have no order id; the line is unique
		} else if keys.repeat(o.CustomerID, o.OrderID) {
			repeats++
			return nil
		}
		if o.Amount, err = parseAmount(v[2]); err != nil {
			return fmt.Errorf("datasource file %s line %d: %w", name, line, err)
		}
		if o.OccurredAt, err = parseTimestamp(v[3], c.cfg.Columns.TimestampLayout); err != nil {
			return fmt.Errorf("datasource file %s line %d: %w", name, line, err)
		}
		return fn(&o)
	})
}

func (c *fileConnector) ScanOrders(ctx context.Context, since time.Time, fn func(*customer.Order) error) error {
	return c.scanOrderRows(nil, from(ctx, since, func(o *customer.Order) time.Time { return o.OccurredAt }, fn))
}

var customerColumns = []column{
	{name: "id", setting: "customers file"},
	{name: "email", optional: true}, {name: "phone", optional: true}, {name: "name", optional: true},
	{name: "timezone", optional: true}, {name: "created_at", optional: true}, {name: "attributes", optional: true},
	{name: "consent_email", optional: true}, {name: "consent_sms", optional: true},
}

// ScanCustomers reads the customers file; a transaction log (or a directory
// without one) yields the distinct customer ids of the orders instead.
func (c *fileConnector) ScanCustomers(ctx context.Context, fn func(*customer.Customer) error) error {
	path, name, ok := c.tablePath("customers")
	if !ok {
		seen := map[string]struct{}{}
		var ids []string
		if err := c.scanOrderRows(nil, func(o *customer.Order) error {
			if _, dup := seen[o.CustomerID]; !dup {
				seen[o.CustomerID] = struct{}{}
				ids = append(ids, o.CustomerID)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, id := range ids {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(&customer.Customer{ID: id, Attributes: map[string]string{}}); err != nil {
				return err
			}
		}
		return nil
	}
	// A repeated id keeps its first row, as in ScanFeatures (which counts it).
	seen := map[string]struct{}{}
	return c.eachRow(path, name, customerColumns, func(v []string, line int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !c.cfg.Partition.Has(v[0]) {
			return nil
		}
		cu, err := parseCustomer(v)
		if err != nil {
			return fmt.Errorf("datasource file %s line %d: %w", name, line, err)
		}
		if _, dup := seen[cu.ID]; dup {
			return nil
		}
		seen[cu.ID] = struct{}{}
		return fn(&cu)
	})
}

func parseCustomer(v []string) (customer.Customer, error) {
	return parseCustomerFields(v, map[string]string{}, nil)
}

// parseCustomerFields parses one customers row, attributes into attrs;
// strings are copied (the row's values are reused by the reader), the time
// zone through in.
func parseCustomerFields(v []string, attrs map[string]string, in interner) (customer.Customer, error) {
	cu := customer.Customer{ID: strings.Clone(v[0]), Email: strings.Clone(v[1]), Phone: strings.Clone(v[2]),
		Name: strings.Clone(v[3]), TimeZone: in.str([]byte(v[4])), Attributes: attrs}
	var err error
	if cu.ID == "" {
		return cu, fmt.Errorf("id is empty")
	}
	if v[5] != "" {
		if cu.CreatedAt, err = parseTimestampShown(v[5], "", withheld); err != nil {
			return cu, fmt.Errorf("created_at: %w", err)
		}
	}
	if err := parseAttributesInterned([]byte(v[6]), cu.Attributes, in); err != nil {
		return cu, fmt.Errorf("attributes: %w", err)
	}
	if cu.ConsentEmail, err = parseBool(v[7]); err != nil {
		return cu, fmt.Errorf("consent_email: %w", err)
	}
	if cu.ConsentSMS, err = parseBool(v[8]); err != nil {
		return cu, fmt.Errorf("consent_sms: %w", err)
	}
	return cu, nil
}

var feedbackColumns = []column{
	{name: "customer_id", setting: "feedback file"}, {name: "score", setting: "feedback file"},
	{name: "occurred_at", setting: "feedback file"},
}

// scanFeedbackRows streams every feedback row; absent file means none.
func (c *fileConnector) scanFeedbackRows(fn func(*customer.Feedback) error) error {
	path, name, ok := c.tablePath("feedback")
	if !ok {
		return nil
	}
	var fb customer.Feedback
	return c.eachRow(path, name, feedbackColumns, func(v []string, line int) (err error) {
		if !c.cfg.Partition.Has(v[0]) {
			return nil
		}
		fb.CustomerID = v[0]
		score, err := strconv.Atoi(v[1])
		if err != nil || score < 0 || score > 10 {
			return fmt.Errorf("datasource file %s line %d: score %s is not an integer 0-10", name, line, cell(v[1]))
		}
		fb.Score = score
		if fb.OccurredAt, err = parseTimestamp(v[2], ""); err != nil {
			return fmt.Errorf("datasource file %s line %d: %w", name, line, err)
		}
		return fn(&fb)
	})
}

func (c *fileConnector) ScanFeedback(ctx context.Context, since time.Time, fn func(*customer.Feedback) error) error {
	return c.scanFeedbackRows(from(ctx, since, func(fb *customer.Feedback) time.Time { return fb.OccurredAt }, fn))
}

var eventColumns = []column{
	{name: "customer_id", setting: "events file"}, {name: "type", setting: "events file"},
	{name: "occurred_at", setting: "events file"}, {name: "properties", optional: true},
}

func (c *fileConnector) ScanEvents(ctx context.Context, since time.Time, fn func(*customer.Event) error) error {
	path, name, ok := c.tablePath("events")
	if !ok {
		return nil
	}
	var e customer.Event
	return c.eachRow(path, name, eventColumns, func(v []string, line int) (err error) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !c.cfg.Partition.Has(v[0]) {
			return nil
		}
		e.CustomerID, e.Type = v[0], v[1]
		if e.OccurredAt, err = parseTimestamp(v[2], ""); err != nil {
			return fmt.Errorf("datasource file %s line %d: %w", name, line, err)
		}
		if e.OccurredAt.Before(since) {
			return nil
		}
		e.Properties = map[string]string{}
		if err := parseAttributes([]byte(v[3]), e.Properties); err != nil {
			return fmt.Errorf("datasource file %s line %d: properties: %w", name, line, err)
		}
		return fn(&e)
	})
}
