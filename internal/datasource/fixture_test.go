package datasource

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// fixture is a small data set with the edge cases the features must agree on
// across PostgreSQL, SQLite and files.
type fixture struct {
	customers []customer.Customer
	orders    []customer.Order
	feedback  []customer.Feedback
	events    []customer.Event
}

var (
	fixtureAsOf   = time.Date(2024, 6, 30, 12, 0, 0, 0, time.UTC)
	fixtureWindow = 30 * 24 * time.Hour // window starts 2024-05-31T12:00:00Z
	berlin        = time.FixedZone("+02", 2*3600)
	tokyo         = time.FixedZone("+09", 9*3600)
	newYork       = time.FixedZone("-04", -4*3600)
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func newFixture() fixture {
	return fixture{
		customers: []customer.Customer{
			// c1: three orders, two on the same day in different offsets; feedback updated 7 -> 9.
			{ID: "c1", Email: "c1@example.com", Phone: "+491", Name: "Ann", TimeZone: "Europe/Berlin",
				CreatedAt: ts("2023-01-15T10:00:00Z"), Attributes: map[string]string{"plan": "gold", "country": "DE"},
				ConsentEmail: true},
			// c2: no orders, no feedback.
			{ID: "c2", Email: "c2@example.com", TimeZone: "America/New_York",
				CreatedAt: ts("2024-06-01T00:00:00Z").In(newYork), Attributes: map[string]string{}, ConsentSMS: true},
			// c3: an order and a feedback after AsOf (ignored); attributes need a real JSON parser.
			{ID: "c3", Email: "c3@example.com", CreatedAt: ts("2022-12-31T23:00:00Z"),
				Attributes: map[string]string{"note": `say "hi"`}, ConsentEmail: true, ConsentSMS: true},
			// c4: created after AsOf: not a customer yet.
			{ID: "c4", Email: "c4@example.com", CreatedAt: ts("2024-07-01T00:00:00Z"), Attributes: map[string]string{}},
			// c5: Tokyo offset order inside the window, one exactly on the window start (outside); tied feedback.
			{ID: "c5", Email: "", TimeZone: "Asia/Tokyo", CreatedAt: ts("2024-05-01T00:00:00+09:00"),
				Attributes: map[string]string{"tier": "b"}},
		},
		orders: []customer.Order{
			{CustomerID: "c1", OrderID: "o1", Amount: 10.5, OccurredAt: ts("2023-02-01T09:00:00Z")},
			{CustomerID: "c1", OrderID: "o2", Amount: 20.25, OccurredAt: ts("2024-06-10T08:00:00+02:00").In(berlin)},
			{CustomerID: "c1", OrderID: "o3", Amount: 5, OccurredAt: ts("2024-06-10T20:00:00Z")},
			{CustomerID: "c3", OrderID: "o4", Amount: 99.99, OccurredAt: ts("2024-01-20T00:00:00Z")},
			{CustomerID: "c3", OrderID: "o5", Amount: 1000, OccurredAt: ts("2024-07-05T00:00:00Z")},
			{CustomerID: "c5", OrderID: "o6", Amount: 7.7, OccurredAt: ts("2024-06-01T00:30:00+09:00").In(tokyo)},
			{CustomerID: "c5", OrderID: "o7", Amount: 3.3, OccurredAt: ts("2024-05-31T12:00:00Z")},
			{CustomerID: "ghost", OrderID: "o8", Amount: 50, OccurredAt: ts("2024-06-01T00:00:00Z")},
		},
		feedback: []customer.Feedback{
			{CustomerID: "c1", Score: 7, OccurredAt: ts("2024-01-01T00:00:00Z")},
			{CustomerID: "c1", Score: 9, OccurredAt: ts("2024-05-01T00:00:00Z")},
			{CustomerID: "c3", Score: 3, OccurredAt: ts("2024-03-01T00:00:00Z")},
			{CustomerID: "c3", Score: 10, OccurredAt: ts("2024-07-02T00:00:00Z")},
			{CustomerID: "c5", Score: 6, OccurredAt: ts("2024-06-20T00:00:00Z")},
			{CustomerID: "c5", Score: 4, OccurredAt: ts("2024-06-20T00:00:00Z")},
		},
		events: []customer.Event{
			{CustomerID: "c1", Type: "app_open", OccurredAt: ts("2024-06-29T00:00:00Z"), Properties: map[string]string{"os": "ios"}},
			{CustomerID: "c2", Type: "page_view", OccurredAt: ts("2024-05-01T00:00:00Z"), Properties: map[string]string{}},
		},
	}
}

func attrJSON(m map[string]string) string {
	b, _ := json.Marshal(m)
	return string(b)
}

// loadSQL creates the default tables in db and inserts fx in one transaction.
// SQLite gets RFC 3339 text in the row's own offset, as an application would
// write it.
func loadSQL(t *testing.T, db *store.DB, fx fixture) {
	t.Helper()
	ctx := context.Background()
	if err := CreateTables(ctx, db, true); err != nil {
		t.Fatal(err)
	}
	tv := func(x time.Time) any {
		if db.Dialect == store.SQLite {
			return x.Format(time.RFC3339Nano)
		}
		return x
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	insert := func(query string, args ...any) {
		if _, err := tx.Exec(ctx, query, args...); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range fx.customers {
		insert(`INSERT INTO customers (id, email, phone, name, timezone, created_at, attributes, consent_email, consent_sms)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, c.ID, c.Email, c.Phone, c.Name, c.TimeZone, tv(c.CreatedAt),
			attrJSON(c.Attributes), c.ConsentEmail, c.ConsentSMS)
	}
	for _, o := range fx.orders {
		insert(`INSERT INTO orders (customer_id, order_id, amount, occurred_at) VALUES ($1, $2, $3, $4)`, o.CustomerID, o.OrderID, o.Amount, tv(o.OccurredAt))
	}
	for _, f := range fx.feedback {
		insert(`INSERT INTO feedback (customer_id, score, occurred_at) VALUES ($1, $2, $3)`, f.CustomerID, f.Score, tv(f.OccurredAt))
	}
	for _, e := range fx.events {
		insert(`INSERT INTO events (customer_id, type, occurred_at, properties) VALUES ($1, $2, $3, $4)`,
			e.CustomerID, e.Type, tv(e.OccurredAt), attrJSON(e.Properties))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// sqlSources loads fx into a new SQLite file and, when there is a test
// PostgreSQL (testdb.PostgresDSN), into a PostgreSQL schema, and returns
// each source's config by kind.
func sqlSources(t *testing.T, fx fixture) map[string]sourceconfig.Config {
	t.Helper()
	sqlitePath := filepath.Join(t.TempDir(), "shop.db")
	sdb, err := store.Open(context.Background(), "sqlite:"+sqlitePath)
	if err != nil {
		t.Fatal(err)
	}
	loadSQL(t, sdb, fx)
	sdb.Close()
	cfgs := map[string]sourceconfig.Config{"sqlite": {Kind: sourceconfig.KindSQLite, Path: sqlitePath}}
	if dsn := testdb.PostgresDSN(); dsn != "" {
		pdb := testdb.Open(t, testdb.Postgres(t), store.Open)
		loadSQL(t, pdb, fx)
		cfgs["postgres"] = sourceconfig.Config{Kind: sourceconfig.KindPostgres, DSN: schemaDSN(t, dsn, pdb)}
	} else {
		t.Logf("PostgreSQL not checked: no test PostgreSQL (set %s or start one at %s)", testdb.DSNEnv, testdb.LocalDSN)
	}
	return cfgs
}

// fixtureSources is sqlSources plus fx written as CSV and as NDJSON files:
// every kind of source the machine can run.
func fixtureSources(t *testing.T, fx fixture) map[string]sourceconfig.Config {
	t.Helper()
	cfgs := sqlSources(t, fx)
	csvDir, ndDir := t.TempDir(), t.TempDir()
	writeCSV(t, csvDir, fx)
	writeNDJSON(t, ndDir, fx)
	cfgs["csv"] = sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatCSV, Path: csvDir}
	cfgs["ndjson"] = sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatNDJSON, Path: ndDir}
	return cfgs
}

// openSources opens every config (each closed when the test ends).
func openSources(t *testing.T, cfgs map[string]sourceconfig.Config) map[string]Connector {
	t.Helper()
	out := make(map[string]Connector, len(cfgs))
	for name, cfg := range cfgs {
		out[name] = mustOpen(t, cfg)
	}
	return out
}

// writeCSV writes fx as customers.csv, orders.csv, feedback.csv, events.csv.
func writeCSV(t *testing.T, dir string, fx fixture) {
	t.Helper()
	write := func(name string, rows [][]string) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		w := csv.NewWriter(f)
		if err := w.WriteAll(rows); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	rows := [][]string{{"id", "email", "phone", "name", "timezone", "created_at", "attributes", "consent_email", "consent_sms"}}
	for _, c := range fx.customers {
		rows = append(rows, []string{c.ID, c.Email, c.Phone, c.Name, c.TimeZone, c.CreatedAt.Format(time.RFC3339),
			attrJSON(c.Attributes), strconv.FormatBool(c.ConsentEmail), strconv.FormatBool(c.ConsentSMS)})
	}
	write("customers.csv", rows)
	rows = [][]string{{"customer_id", "order_id", "amount", "occurred_at"}}
	for _, o := range fx.orders {
		rows = append(rows, []string{o.CustomerID, o.OrderID, strconv.FormatFloat(o.Amount, 'f', -1, 64), o.OccurredAt.Format(time.RFC3339)})
	}
	write("orders.csv", rows)
	rows = [][]string{{"customer_id", "score", "occurred_at"}}
	for _, f := range fx.feedback {
		rows = append(rows, []string{f.CustomerID, strconv.Itoa(f.Score), f.OccurredAt.Format(time.RFC3339)})
	}
	write("feedback.csv", rows)
	rows = [][]string{{"customer_id", "type", "occurred_at", "properties"}}
	for _, e := range fx.events {
		rows = append(rows, []string{e.CustomerID, e.Type, e.OccurredAt.Format(time.RFC3339), attrJSON(e.Properties)})
	}
	write("events.csv", rows)
}

// writeNDJSON writes fx as *.ndjson with native JSON types (numbers, booleans, objects).
func writeNDJSON(t *testing.T, dir string, fx fixture) {
	t.Helper()
	write := func(name string, objs []map[string]any) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		enc := json.NewEncoder(f)
		for _, o := range objs {
			if err := enc.Encode(o); err != nil {
				t.Fatal(err)
			}
		}
		f.Close()
	}
	var objs []map[string]any
	for _, c := range fx.customers {
		objs = append(objs, map[string]any{"id": c.ID, "email": c.Email, "phone": c.Phone, "name": c.Name,
			"timezone": c.TimeZone, "created_at": c.CreatedAt.Format(time.RFC3339), "attributes": c.Attributes,
			"consent_email": c.ConsentEmail, "consent_sms": c.ConsentSMS})
	}
	write("customers.ndjson", objs)
	objs = nil
	for _, o := range fx.orders {
		objs = append(objs, map[string]any{"customer_id": o.CustomerID, "order_id": o.OrderID, "amount": o.Amount,
			"occurred_at": o.OccurredAt.Format(time.RFC3339)})
	}
	write("orders.ndjson", objs)
	objs = nil
	for _, f := range fx.feedback {
		objs = append(objs, map[string]any{"customer_id": f.CustomerID, "score": f.Score, "occurred_at": f.OccurredAt.Format(time.RFC3339)})
	}
	write("feedback.ndjson", objs)
	objs = nil
	for _, e := range fx.events {
		objs = append(objs, map[string]any{"customer_id": e.CustomerID, "type": e.Type,
			"occurred_at": e.OccurredAt.Format(time.RFC3339), "properties": e.Properties})
	}
	write("events.ndjson", objs)
}

// countOrders scans all of c's orders and counts them.
func countOrders(c Connector) (int, error) {
	n := 0
	err := c.ScanOrders(context.Background(), time.Time{}, func(*customer.Order) error { n++; return nil })
	return n, err
}

// collectFeatures copies every row a connector emits.
func collectFeatures(t *testing.T, c Connector, q FeatureQuery) []customer.Features {
	t.Helper()
	var out []customer.Features
	if err := c.ScanFeatures(context.Background(), q, func(f *customer.Features) error {
		cp := *f
		cp.Attributes = map[string]string{}
		for k, v := range f.Attributes {
			cp.Attributes[k] = v
		}
		out = append(out, cp)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sortFeatures(out)
	return out
}
