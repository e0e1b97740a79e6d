package datasource

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// writeFile writes body to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFileErrorsNameRowAndSetting: bad data fails with an error that names
// the file, the line and the value or setting to fix.
func TestFileErrorsNameRowAndSetting(t *testing.T) {
	valid := "customer_id,order_id,amount,occurred_at\nc1,o1,10,2024-01-02\n"
	tests := []struct {
		name    string
		orders  string
		columns sourceconfig.ColumnMapping
		want    string
	}{
		{"bad timestamp", valid + strings.Repeat("c1,o2,5,2024-01-03\n", 9) + "c1,o12,5,2024-13-01\n",
			sourceconfig.ColumnMapping{TimestampLayout: "2006-01-02"},
			`orders.csv line 12: timestamp "2024-13-01" does not match layout 2006-01-02`},
		{"negative amount", valid + "c1,o2,-3.5,2024-01-03\n", sourceconfig.ColumnMapping{},
			`orders.csv line 3: amount -3.5 is negative`},
		{"amount not a number", valid + "c1,o2,ten,2024-01-03\n", sourceconfig.ColumnMapping{},
			`orders.csv line 3: amount "ten" is not a decimal number`},
		{"unknown column", "customer_id,date,amount\nc1,2024-01-02,10\n",
			sourceconfig.ColumnMapping{Timestamp: "date", Amount: "amt"},
			`column "amt" (columns.amount) not found; the header has customer_id,date,amount`},
		{"empty customer id", valid + ",o2,1,2024-01-03\n", sourceconfig.ColumnMapping{},
			`orders.csv line 3: customer id is empty`},
		{"unparseable timestamp without layout", valid + "c1,o2,1,yesterday\n", sourceconfig.ColumnMapping{},
			`orders.csv line 3: timestamp "yesterday" matches none of`},
		{"short row", valid + "c1,o2\n", sourceconfig.ColumnMapping{},
			`orders.csv line 3: row has 2 fields, column 3 is missing`},
		{"broken quoting", valid + "c1,\"o2,1,2024-01-03\n", sourceconfig.ColumnMapping{},
			`orders.csv: parse error on line 3, column 21: extraneous or missing " in quoted-field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "orders.csv", tt.orders)
			c := mustOpen(t, sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatCSV, Path: dir, Columns: tt.columns})
			err := c.ScanFeatures(context.Background(), FeatureQuery{AsOf: fixtureAsOf},
				func(*customer.Features) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

// TestNDJSONErrors: a missing field names the object's fields; broken JSON names the line.
func TestNDJSONErrors(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"customer_id":"c1","order_id":"o1","amt":3,"occurred_at":"2024-01-02T00:00:00Z"}` + "\n",
			`orders.ndjson line 1: field "amount" (columns.amount) not found; the object has amt,customer_id,occurred_at,order_id`},
		{`{"customer_id":"c1","order_id":"o1","amount":3,"occurred_at":"2024-01-02T00:00:00Z"}` + "\n{broken\n",
			`orders.ndjson line 2: not a JSON object`},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		writeFile(t, dir, "orders.ndjson", tt.body)
		c := mustOpen(t, sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatNDJSON, Path: dir})
		_, err := countOrders(c)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("error = %v\nwant it to contain %q", err, tt.want)
		}
	}
}

// TestConfigErrors: each unusable setting is named.
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	logFile := writeFile(t, dir, "log.txt", "c1 20240101 5\n")
	tests := []struct {
		cfg  sourceconfig.Config
		want string
	}{
		{sourceconfig.Config{}, "kind is empty; set it to postgres, sqlite or file"},
		{sourceconfig.Config{Kind: "mysql"}, `kind "mysql" is not one of postgres, sqlite, file`},
		{sourceconfig.Config{Kind: sourceconfig.KindPostgres}, "kind postgres needs dsn"},
		{sourceconfig.Config{Kind: sourceconfig.KindSQLite}, "kind sqlite needs path"},
		{sourceconfig.Config{Kind: sourceconfig.KindSQLite, Path: filepath.Join(dir, "missing.db")}, "missing.db"},
		{sourceconfig.Config{Kind: sourceconfig.KindFile, Path: dir}, "kind file needs format"},
		{sourceconfig.Config{Kind: sourceconfig.KindFile, Path: dir, Format: "xml"}, `format "xml" is not one of csv, ndjson, transactions`},
		{sourceconfig.Config{Kind: sourceconfig.KindFile, Path: dir, Format: sourceconfig.FormatTransactions}, "is a directory; format transactions reads one log file"},
		{sourceconfig.Config{Kind: sourceconfig.KindFile, Path: logFile, Format: sourceconfig.FormatCSV}, "is a file; format csv reads a directory"},
	}
	for _, tt := range tests {
		_, err := Open(context.Background(), tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%+v) error = %v, want it to contain %q", tt.cfg, err, tt.want)
		}
	}
}

// TestPostgresUnreachableNamesHostNotPassword dials a closed port on loopback.
func TestPostgresUnreachableNamesHostNotPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Open(ctx, sourceconfig.Config{Kind: sourceconfig.KindPostgres, DSN: "postgres://shop:s3cret-pw@127.0.0.1:1/sales?sslmode=disable&connect_timeout=2"})
	if err == nil {
		t.Fatal("Open succeeded against a closed port")
	}
	msg := err.Error()
	if !strings.Contains(msg, "cannot reach host 127.0.0.1 port 1") || !strings.Contains(msg, `database "sales"`) {
		t.Errorf("error %q does not name host, port and database", msg)
	}
	if strings.Contains(msg, "s3cret-pw") {
		t.Errorf("error leaks the password: %q", msg)
	}
}

// TestPostgresRefusedNamesDatabase: the real server answers that the database
// does not exist; the error says so and names it.
func TestPostgresRefusedNamesDatabase(t *testing.T) {
	dsn := testdb.SkipWithoutPostgres(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/no_such_database_for_datasource_test"
	_, err = Open(context.Background(), sourceconfig.Config{Kind: sourceconfig.KindPostgres, DSN: u.String()})
	if err == nil || !strings.Contains(err.Error(), "refused the connection") ||
		!strings.Contains(err.Error(), `database "no_such_database_for_datasource_test"`) {
		t.Errorf("error = %v", err)
	}
}

// TestSQLiteOverrideQueries: each default table can be replaced by a query.
func TestSQLiteOverrideQueries(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shop.db")
	c0 := mustOpen(t, sourceconfig.Config{Kind: sourceconfig.KindSQLite, Path: mustCreate(t, path)})
	db := c0.(*sqliteConnector).db
	// A shop whose orders live in a "sales" table with other column names.
	for _, stmt := range []string{
		`CREATE TABLE clients (cid TEXT, mail TEXT, joined TEXT)`,
		`CREATE TABLE sales (buyer TEXT, ref TEXT, cents INTEGER, at TEXT, status TEXT)`,
		`INSERT INTO clients VALUES ('k1', 'k1@example.com', '2024-01-01T00:00:00Z')`,
		`INSERT INTO sales VALUES ('k1', 's1', 1250, '2024-06-01T00:00:00Z', 'paid'),
			('k1', 's2', 9999, '2024-06-02T00:00:00Z', 'cancelled'), ('k1', 's3', 250, '2024-06-29T12:00:00Z', 'paid')`,
	} {
		if _, err := db.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	c := mustOpen(t, sourceconfig.Config{Kind: sourceconfig.KindSQLite, Path: path, Queries: sourceconfig.Queries{
		Customers: `SELECT cid AS id, mail AS email, '' AS phone, '' AS name, 'UTC' AS timezone, joined AS created_at,
			'{}' AS attributes, 1 AS consent_email, 0 AS consent_sms FROM clients`,
		Orders:   `SELECT buyer AS customer_id, ref AS order_id, cents / 100.0 AS amount, at AS occurred_at FROM sales WHERE status = 'paid'`,
		Feedback: `SELECT 'k1' AS customer_id, 8 AS score, '2024-02-01T00:00:00Z' AS occurred_at`,
		Events:   `SELECT 'k1' AS customer_id, 'x' AS type, '2024-02-01T00:00:00Z' AS occurred_at, '{}' AS properties WHERE 0`,
	}})
	got := collectFeatures(t, c, FeatureQuery{AsOf: fixtureAsOf, Window: 7 * 24 * time.Hour})
	if len(got) != 1 {
		t.Fatalf("got %d rows, want 1", len(got))
	}
	f := got[0]
	// Paid orders 12.50 (2024-06-01) and 2.50 (2024-06-29T12:00, 1 day before AsOf, inside the 7-day window).
	if f.ID != "k1" || f.Frequency != 2 || f.Monetary != 15 || f.WindowOrders != 1 || f.WindowSpend != 2.5 ||
		f.RecencyDays != 1 || f.NPS != 8 || !f.ConsentEmail || f.TimeZone != "UTC" {
		t.Errorf("override features = %+v", f)
	}
	var orders int
	if err := c.ScanOrders(ctx, ts("2024-06-15T00:00:00Z"), func(*customer.Order) error { orders++; return nil }); err != nil {
		t.Fatal(err)
	}
	if orders != 1 {
		t.Errorf("ScanOrders since 2024-06-15 over the override gave %d orders, want 1", orders)
	}
}

// mustCreate creates an empty SQLite database file (a data source must exist).
func mustCreate(t *testing.T, path string) string {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
