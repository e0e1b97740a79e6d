// Package sourceconfig holds a DataSource's connector configuration as plain
// data: what the controllers render into a worker's spec and what
// datasource.Open connects with. It imports no database driver, so the
// manager can render it; package datasource, which links pgx and SQLite,
// takes these types as they are (one name for each).
package sourceconfig

import "fmt"

// Kind names the kind of data source.
type Kind string

const (
	KindPostgres Kind = "postgres"
	KindSQLite   Kind = "sqlite"
	KindFile     Kind = "file"
)

// Format names the layout of a file data source.
type Format string

const (
	// FormatCSV is a directory holding customers.csv, orders.csv and optionally
	// events.csv and feedback.csv, each with a header row.
	FormatCSV Format = "csv"
	// FormatNDJSON is the same directory layout with one JSON object per line
	// (customers.ndjson, orders.ndjson, ...).
	FormatNDJSON Format = "ndjson"
	// FormatTransactions is a single transaction log (customer id, date, amount)
	// such as the CDNOW files: comma- or whitespace-separated, header optional.
	// Customers are the distinct ids in the log.
	FormatTransactions Format = "transactions"
)

// Config describes one data source. The lead fills it from the DataSource CRD.
type Config struct {
	Kind Kind
	// DSN is the PostgreSQL connection URL (postgres://user@host:5432/db).
	DSN string
	// Path is the SQLite database file, the directory of a csv/ndjson source,
	// or the transaction log file. Relative paths are taken inside Root.
	Path string
	// Root, when set, is the directory Path must resolve inside (symlinks
	// followed): the worker sets it to the pod's data mount, so a tenant's
	// spec cannot read other files of the pod (/proc/self/environ holds the
	// Secret-fed environment). Empty confines nothing but /proc, /sys and
	// /dev, which are refused everywhere.
	Root string
	// Format is the file layout (files only).
	Format Format
	// Columns maps the order/transaction fields to the file's column names.
	Columns ColumnMapping
	// Queries optionally replace the default tables (databases only).
	Queries Queries
	// Partition restricts every read to one shard of the customers
	// (datasource.Partitioned sets it in the metric job; zero reads them all).
	Partition Partition `json:"-"`
}

// ColumnMapping names the columns of the orders file (or transaction log).
// Empty fields take the defaults below. For a transaction log without a header
// a column may be given as its 1-based position ("3").
type ColumnMapping struct {
	CustomerID string // default "customer_id"
	Timestamp  string // default "occurred_at" ("date" for transactions)
	Amount     string // default "amount"
	OrderID    string // default "order_id"; optional for transactions
	// TimestampLayout is a Go time layout (2006-01-02). Empty accepts RFC 3339,
	// "2006-01-02 15:04:05", "2006-01-02" and "20060102".
	TimestampLayout string
}

// Queries replace the default table reads. Each must return the default
// table's columns under the default names (see Schema), e.g. Orders must return
// customer_id, order_id, amount, occurred_at. The features query uses them as
// sub-selects, so they may join or rename freely.
type Queries struct {
	Customers string
	Orders    string
	Events    string
	Feedback  string
}

// Validate reports the first setting that cannot work, naming it.
func (c Config) Validate() error {
	switch c.Kind {
	case KindPostgres:
		if c.DSN == "" {
			return fmt.Errorf("datasource: kind postgres needs dsn (postgres://user@host:5432/db)")
		}
	case KindSQLite:
		if c.Path == "" {
			return fmt.Errorf("datasource: kind sqlite needs path (the database file)")
		}
	case KindFile:
		if c.Path == "" {
			return fmt.Errorf("datasource: kind file needs path (a directory for csv/ndjson, a file for transactions)")
		}
		switch c.Format {
		case FormatCSV, FormatNDJSON, FormatTransactions:
		case "":
			return fmt.Errorf("datasource: kind file needs format (csv, ndjson or transactions)")
		default:
			return fmt.Errorf("datasource: format %q is not one of csv, ndjson, transactions", c.Format)
		}
	case "":
		return fmt.Errorf("datasource: kind is empty; set it to postgres, sqlite or file")
	default:
		return fmt.Errorf("datasource: kind %q is not one of postgres, sqlite, file", c.Kind)
	}
	return nil
}
