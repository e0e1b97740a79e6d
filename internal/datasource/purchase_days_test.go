package datasource

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/store/sqldb"
	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
)

const week = 7 * 24 * time.Hour

// purchaseDaySummaries scans c's purchase days as of asOf into clv rows keyed
// by customer id.
func purchaseDaySummaries(t *testing.T, c Connector, asOf time.Time) map[string]clv.Summary {
	t.Helper()
	pd, ok := c.(PurchaseDayScanner)
	if !ok {
		t.Fatalf("%T does not aggregate purchase days", c)
	}
	endDay := clv.DayNumber(asOf.UTC())
	out := map[string]clv.Summary{}
	err := pd.ScanPurchaseDays(context.Background(), asOf, func(p *PurchaseDays) error {
		if _, dup := out[p.CustomerID]; dup {
			t.Errorf("customer %s returned twice", p.CustomerID)
		}
		out[p.CustomerID] = clv.SummaryFromDays(p.CustomerID, p.Days, p.FirstDay, p.LastDay, endDay, p.RepeatSpend, week)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// compareSummaries checks got against the Go builder's rows (want); sums may
// be added in another order, hence the relative 1e-12.
func compareSummaries(t *testing.T, got map[string]clv.Summary, want []clv.Summary) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d customers, want %d", len(got), len(want))
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }
	for _, w := range want {
		g, ok := got[w.CustomerID]
		if !ok {
			t.Errorf("customer %s missing", w.CustomerID)
			continue
		}
		if g.Frequency != w.Frequency || g.Recency != w.Recency || g.T != w.T || !near(g.Monetary, w.Monetary) {
			t.Errorf("customer %s: got %+v, want %+v", w.CustomerID, g, w)
		}
	}
}

// utcOrders is what the connectors hand out: instants in UTC, so that days
// are UTC calendar days.
func utcOrders(orders []customer.Order) []customer.Order {
	out := make([]customer.Order, len(orders))
	for i, o := range orders {
		o.OccurredAt = o.OccurredAt.UTC()
		out[i] = o
	}
	return out
}

// TestPurchaseDaysMatchSummarize: on the fixture (orders in several offsets,
// two on one day, one after AsOf), the SQL purchase days give the summary rows
// clv.SummaryBuilder makes of the same orders, on SQLite and PostgreSQL.
func TestPurchaseDaysMatchSummarize(t *testing.T) {
	fx := newFixture()
	want := summarize(t, utcOrders(fx.orders), fixtureAsOf)
	if len(want) < 2 {
		t.Fatalf("fixture has %d buyers; the test needs several", len(want))
	}
	repeat := false
	for _, w := range want {
		repeat = repeat || w.Frequency > 0
	}
	if !repeat {
		t.Fatal("fixture has no repeat buyer; the test would not check monetary")
	}
	for name, c := range openFixtureSources(t) {
		if _, ok := c.(PurchaseDayScanner); !ok {
			continue // files stream orders instead
		}
		t.Run(name, func(t *testing.T) {
			compareSummaries(t, purchaseDaySummaries(t, c, fixtureAsOf), want)
		})
	}
}

// TestPurchaseDaysCDNOW: the CDNOW sample (6,919 orders of 2,357 customers)
// summarised over its 39-week calibration period in SQL equals the in-memory
// summary (clv.SummaryBuilder).
func TestPurchaseDaysCDNOW(t *testing.T) {
	// The orders as this package's file source reads the log.
	file := mustOpen(t, sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatTransactions,
		Path: cdnowPath(t, cdnowSample)})
	var orders []customer.Order
	if err := file.ScanOrders(context.Background(), time.Time{}, func(o *customer.Order) error {
		o.CustomerID, o.OrderID = strings.Clone(o.CustomerID), strings.Clone(o.OrderID) // kept past the call
		orders = append(orders, *o)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The summary ignores orders after the end day; the SQL keeps orders at or
	// before asOf: the last instant of the end day makes them the same.
	end := time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC)
	asOf := end.Add(24*time.Hour - time.Millisecond)
	want := summarize(t, orders, end)
	sources := map[string]func(t *testing.T) Connector{
		"sqlite": func(t *testing.T) Connector {
			path := filepath.Join(t.TempDir(), "cdnow.db")
			db, err := store.Open(context.Background(), "sqlite:"+path)
			if err != nil {
				t.Fatal(err)
			}
			loadOrders(t, db, orders)
			db.Close()
			return mustOpen(t, sourceconfig.Config{Kind: sourceconfig.KindSQLite, Path: path})
		},
		"postgres": func(t *testing.T) Connector {
			db := store.OpenTestPostgres(t)
			loadOrders(t, db, orders)
			return mustOpen(t, sourceconfig.Config{Kind: sourceconfig.KindPostgres, DSN: schemaDSN(t, sqldb.TestPostgresDSN(), db)})
		},
	}
	for name, open := range sources {
		t.Run(name, func(t *testing.T) {
			got := purchaseDaySummaries(t, open(t), asOf)
			compareSummaries(t, got, want)
			t.Logf("%d customers", len(got))
		})
	}
}

// loadOrders creates the tables and inserts orders in one transaction.
func loadOrders(t *testing.T, db *store.DB, orders []customer.Order) {
	t.Helper()
	ctx := context.Background()
	if err := CreateTables(ctx, db, true); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range orders {
		var at any = o.OccurredAt
		if db.Dialect == store.SQLite {
			at = o.OccurredAt.Format(time.RFC3339Nano)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO orders (customer_id, order_id, amount, occurred_at) VALUES ($1, $2, $3, $4)`,
			o.CustomerID, o.OrderID, o.Amount, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// summarize is the in-memory summary of orders up to end's day, in weeks:
// what the SQL purchase days must reproduce.
func summarize(t *testing.T, orders []customer.Order, end time.Time) []clv.Summary {
	t.Helper()
	b, err := clv.NewSummaryBuilder(end, week)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range orders {
		b.Add(o)
	}
	return b.Rows()
}
