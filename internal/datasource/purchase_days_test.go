package datasource

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
)

const week = 7 * 24 * time.Hour

// scanPurchaseDays scans pd's purchase days as of asOf, keyed by customer
// id; a customer returned twice is an error.
func scanPurchaseDays(t *testing.T, pd PurchaseDayScanner, asOf time.Time) map[string]PurchaseDays {
	t.Helper()
	out := map[string]PurchaseDays{}
	err := pd.ScanPurchaseDays(context.Background(), asOf, func(p *PurchaseDays) error {
		if _, dup := out[p.CustomerID]; dup {
			t.Errorf("customer %s returned twice", p.CustomerID)
		}
		out[p.CustomerID] = *p
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// purchaseDaySummaries is scanPurchaseDays as clv rows keyed by customer id.
func purchaseDaySummaries(t *testing.T, pd PurchaseDayScanner, asOf time.Time) map[string]clv.Summary {
	t.Helper()
	endDay := clv.DayNumber(asOf.UTC())
	out := map[string]clv.Summary{}
	for id, p := range scanPurchaseDays(t, pd, asOf) {
		out[id] = clv.SummaryFromDays(p.CustomerID, p.Days, p.FirstDay, p.LastDay, endDay, p.RepeatSpend, week)
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
	for name, pd := range fixtureScanners[PurchaseDayScanner](t) {
		t.Run(name, func(t *testing.T) {
			compareSummaries(t, purchaseDaySummaries(t, pd, fixtureAsOf), want)
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
	for name, cfg := range sqlSources(t, fixture{orders: orders}) {
		t.Run(name, func(t *testing.T) {
			got := purchaseDaySummaries(t, mustOpen(t, cfg).(PurchaseDayScanner), asOf)
			compareSummaries(t, got, want)
			t.Logf("%d customers", len(got))
		})
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
