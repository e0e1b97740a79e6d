package metrics

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// The fixture is evaluated as of asOf with a 30-day window:
// window (2024-05-31, 2024-06-30], previous period (2024-05-01, 2024-05-31].
var (
	asOf       = time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)
	created    = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	fixtureSeg = v1alpha1.SegmentSpec{
		Criteria: `customer.frequency >= 1 && customer.monetary < 150.0`,
		Window:   "30d",
		Metrics: []v1alpha1.MetricName{"retentionRate", "churnRate", "repeatPurchaseRate", "purchaseFrequency",
			"averageOrderValue", "historicalCLV", "nps", "cohortRetention"},
	}
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// shop is a data set: customers (all created 2024-01-01), orders, feedback.
type shop struct {
	customers []string
	orders    []customer.Order
	feedback  []customer.Feedback
}

// fixtureShop, by hand (members: frequency >= 1 and monetary < 150):
//
//	a: May 10 $20, Jun 5 $30, Jun 20 $50; NPS 10  -> member, 2 window orders $80, active at start
//	b: May 15 $40; NPS 5                          -> member, no window order, active at start (lost)
//	c: Jun 10 $25; NPS 8                          -> member, 1 window order, new in the window
//	d: Mar 1 $200, Jun 25 $10, Jun 26 $10         -> monetary 220: not a member
//	e: no orders                                  -> frequency 0: not a member
//	f: May 20 $60, Jun 2 $15; NPS 9               -> member, 1 window order $15, active at start
func fixtureShop() shop {
	o := func(id, oid, d string, amt float64) customer.Order {
		return customer.Order{CustomerID: id, OrderID: oid, Amount: amt, OccurredAt: day(d).Add(12 * time.Hour)}
	}
	fb := func(id string, score int) customer.Feedback {
		return customer.Feedback{CustomerID: id, Score: score, OccurredAt: day("2024-06-01")}
	}
	return shop{
		customers: []string{"a", "b", "c", "d", "e", "f"},
		orders: []customer.Order{
			o("a", "o1", "2024-05-10", 20), o("a", "o2", "2024-06-05", 30), o("a", "o3", "2024-06-20", 50),
			o("b", "o4", "2024-05-15", 40),
			o("c", "o5", "2024-06-10", 25),
			o("d", "o6", "2024-03-01", 200), o("d", "o7", "2024-06-25", 10), o("d", "o8", "2024-06-26", 10),
			o("f", "o9", "2024-05-20", 60), o("f", "o10", "2024-06-02", 15),
		},
		feedback: []customer.Feedback{fb("a", 10), fb("b", 5), fb("c", 8), fb("f", 9)},
	}
}

// fixtureMetrics are computed by hand from fixtureShop (members a b c f):
//
//	window buyers a c f, repeat a, orders 4, revenue 80+25+15 = 120
//	repeat rate 1/3 = 33.33%, frequency 4/3 = 1.33, AOV 120/4 = 30.00
//	historical CLV (100+40+25+75)/4 = 60.00
//	NPS: promoters a f, detractor b, passive c -> (2-1)/4 = 25.00
//	active at start S = {a b f}, at end E = {a c f}, new N = {c}, lost {b}
//	retention (E-N)/S = 2/3 = 66.67%, churn 1/3 = 33.33%
var fixtureMetrics = map[string]string{
	"repeatPurchaseRate": "33.33", "purchaseFrequency": "1.33", "averageOrderValue": "30.00",
	"historicalCLV": "60.00", "nps": "25.00", "retentionRate": "66.67", "churnRate": "33.33",
}

// fixtureCohorts: May cohort {a b f} ordered in May (3/3) and June (a f: 2/3);
// June cohort {c}.
const fixtureCohorts = `{"labels":["2024-05","2024-06"],"sizes":[3,1],"rows":[[100,66.67],[100]]}`

// writeShopCSV writes the shop as customers.csv, orders.csv, feedback.csv.
func writeShopCSV(t *testing.T, dir string, s shop) {
	t.Helper()
	rows := [][]string{{"id", "email", "created_at"}}
	for _, id := range s.customers {
		rows = append(rows, []string{id, "", created.Format(time.RFC3339)})
	}
	writeCSVFile(t, filepath.Join(dir, "customers.csv"), rows)
	rows = [][]string{{"customer_id", "order_id", "amount", "occurred_at"}}
	for _, o := range s.orders {
		rows = append(rows, []string{o.CustomerID, o.OrderID, strconv.FormatFloat(o.Amount, 'f', -1, 64), o.OccurredAt.Format(time.RFC3339)})
	}
	writeCSVFile(t, filepath.Join(dir, "orders.csv"), rows)
	rows = [][]string{{"customer_id", "score", "occurred_at"}}
	for _, f := range s.feedback {
		rows = append(rows, []string{f.CustomerID, strconv.Itoa(f.Score), f.OccurredAt.Format(time.RFC3339)})
	}
	writeCSVFile(t, filepath.Join(dir, "feedback.csv"), rows)
}

func writeCSVFile(t *testing.T, path string, rows [][]string) {
	t.Helper()
	var b strings.Builder
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// loadShopSQL creates the default tables in db and inserts the shop.
func loadShopSQL(t *testing.T, db *store.DB, s shop) {
	t.Helper()
	ctx := context.Background()
	// SQLite keeps times as RFC 3339 text; PostgreSQL takes them as they are.
	tv := func(x time.Time) any {
		if db.Dialect == store.SQLite {
			return x.Format(time.RFC3339Nano)
		}
		return x
	}
	if err := datasource.CreateTables(ctx, db.DB, true); err != nil {
		t.Fatal(err)
	}
	insert := func(query string, args ...any) {
		if _, err := db.Exec(ctx, query, args...); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range s.customers {
		insert(`INSERT INTO customers (id, created_at) VALUES ($1, $2)`, id, tv(created))
	}
	for _, o := range s.orders {
		insert(`INSERT INTO orders (customer_id, order_id, amount, occurred_at) VALUES ($1, $2, $3, $4)`,
			o.CustomerID, o.OrderID, o.Amount, tv(o.OccurredAt))
	}
	for _, f := range s.feedback {
		insert(`INSERT INTO feedback (customer_id, score, occurred_at) VALUES ($1, $2, $3)`,
			f.CustomerID, f.Score, tv(f.OccurredAt))
	}
}

// newSQLiteData creates an SQLite database for a data source (the file
// shop.db in a temporary directory) and returns its path and connection.
func newSQLiteData(t *testing.T) (string, *store.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shop.db")
	data, err := store.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	return path, data
}

// schemaDSN is the test DSN pinned to the schema testdb.Postgres created.
func schemaDSN(t *testing.T, db *store.DB) string {
	t.Helper()
	var schema string
	if err := db.QueryRow(context.Background(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	dsn := testdb.PostgresDSN()
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

// source is one way of holding the shop: a data source and a state store.
type source struct {
	cfg sourceconfig.Config
	db  *store.DB
	// reload replaces the data with s.
	reload func(s shop)
}

// sources returns the shop in CSV, SQLite and (with RETENTION_TEST_POSTGRES_DSN)
// PostgreSQL, each with a state store of the same kind.
func sources(t *testing.T, s shop) map[string]func(t *testing.T) source {
	return map[string]func(t *testing.T) source{
		"csv": func(t *testing.T) source {
			dir := t.TempDir()
			writeShopCSV(t, dir, s)
			return source{cfg: sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatCSV, Path: dir},
				db: testdb.Open(t, testdb.SQLite(t), store.Open), reload: func(s shop) { writeShopCSV(t, dir, s) }}
		},
		"sqlite": func(t *testing.T) source {
			path, data := newSQLiteData(t)
			t.Cleanup(func() { data.Close() })
			loadShopSQL(t, data, s)
			return source{cfg: sourceconfig.Config{Kind: sourceconfig.KindSQLite, Path: path}, db: testdb.Open(t, testdb.SQLite(t), store.Open),
				reload: func(s shop) { dropShop(t, data); loadShopSQL(t, data, s) }}
		},
		"postgres": func(t *testing.T) source {
			db := testdb.Open(t, testdb.Postgres(t), store.Open)
			loadShopSQL(t, db, s)
			return source{cfg: sourceconfig.Config{Kind: sourceconfig.KindPostgres, DSN: schemaDSN(t, db)}, db: db,
				reload: func(s shop) { dropShop(t, db); loadShopSQL(t, db, s) }}
		},
	}
}

func dropShop(t *testing.T, db *store.DB) {
	t.Helper()
	for _, table := range []string{"customers", "orders", "feedback", "events"} {
		if _, err := db.Exec(context.Background(), "DROP TABLE "+table); err != nil {
			t.Fatal(err)
		}
	}
}

// runAt runs the fixture segment at the given time.
func runAt(t *testing.T, src source, spec v1alpha1.SegmentSpec, at time.Time) (report.Segment, error) {
	t.Helper()
	return Run(context.Background(), Options{Namespace: "shop", Name: "buyers", Segment: segmentConfig(t, spec), Source: src.cfg, DB: src.db,
		Clock: func() time.Time { return at }})
}

func orderAt(id, oid string, at time.Time, amount float64) customer.Order {
	return customer.Order{CustomerID: id, OrderID: oid, Amount: amount, OccurredAt: at}
}
