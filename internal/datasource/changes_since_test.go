package datasource

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// hostileIDs are customer ids that would break a carelessly quoted list:
// quotes, backslashes, array syntax, placeholders, SQL.
var hostileIDs = []string{`plain`, `o'brien`, `back\slash`, `"quoted"`, `{brace},comma`, `$1`, `x'); DROP TABLE orders; --`, `\'`, `NULL`}

// incrementalSources holds hostileIDs, each with two orders (one a year
// before asOf, one a day before), in SQLite and (when available) PostgreSQL.
func incrementalSources(t *testing.T, asOf time.Time) map[string]Connector {
	t.Helper()
	var fx fixture
	for i, id := range hostileIDs {
		// The empty attributes are the column's default, '{}'.
		fx.customers = append(fx.customers, customer.Customer{ID: id, CreatedAt: asOf.AddDate(-2, 0, 0), Attributes: map[string]string{}})
		for k, when := range []time.Time{asOf.AddDate(-1, 0, -i), asOf.Add(-time.Duration(24+i) * time.Hour)} {
			fx.orders = append(fx.orders, customer.Order{CustomerID: id, OrderID: id + string(rune('a'+k)), Amount: float64(10 + i), OccurredAt: when})
		}
	}
	return openSources(t, sqlSources(t, fx))
}

// TestOnlyReadsExactlyTheGivenCustomers: a restricted connector returns the
// same feature and purchase-day rows as the full scan for exactly the ids
// asked for, whatever characters they hold.
func TestOnlyReadsExactlyTheGivenCustomers(t *testing.T) {
	asOf := time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)
	for name, c := range incrementalSources(t, asOf) {
		t.Run(name, func(t *testing.T) {
			q := FeatureQuery{AsOf: asOf, Window: 30 * 24 * time.Hour}
			all := map[string]customer.Features{}
			for _, f := range collectFeatures(t, c, q) {
				all[f.ID] = f
			}
			if len(all) != len(hostileIDs) {
				t.Fatalf("full scan: %d rows, want %d", len(all), len(hostileIDs))
			}
			want := []string{`o'brien`, `back\slash`, `{brace},comma`, `$1`, `\'`, `NULL`}
			only := c.(IncrementalSource).Only(want)
			got := collectFeatures(t, only, q)
			ids := []string{}
			for _, f := range got {
				ids = append(ids, f.ID)
				if w := all[f.ID]; !featuresEqual(f, w) {
					t.Errorf("%q: restricted row %+v, full row %+v", f.ID, f, w)
				}
			}
			slices.Sort(ids)
			slices.Sort(want)
			if !slices.Equal(ids, want) {
				t.Fatalf("restricted features for %q, want %q", ids, want)
			}
			days := purchaseDaySummaries(t, only.(PurchaseDayScanner), asOf)
			if got := slices.Sorted(maps.Keys(days)); !slices.Equal(got, want) {
				t.Fatalf("restricted purchase days for %q, want %q", got, want)
			}
			if n := len(collectFeatures(t, c.(IncrementalSource).Only(nil), q)); n != 0 {
				t.Fatalf("no ids: %d rows", n)
			}
		})
	}
}

func featuresEqual(a, b customer.Features) bool {
	a.Attributes, b.Attributes = nil, nil
	return a.ID == b.ID && a.Frequency == b.Frequency && a.Monetary == b.Monetary && a.WindowOrders == b.WindowOrders &&
		a.WindowSpend == b.WindowSpend && a.FirstOrderAt.Equal(b.FirstOrderAt) && a.LastOrderAt.Equal(b.LastOrderAt) &&
		a.RecencyDays == b.RecencyDays && a.TenureDays == b.TenureDays && a.NPS == b.NPS
}

// TestChangedCustomers: the recent orders, a window crossing and (with the
// column) updated_at each select their customers, and nothing else does.
func TestChangedCustomers(t *testing.T) {
	asOf := time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)
	for name, c := range incrementalSources(t, asOf) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			src := c.(IncrementalSource)
			cols, err := src.ChangeColumns(ctx)
			if err != nil || cols != (ChangeColumns{}) {
				t.Fatalf("default tables have no updated_at: %+v, %v", cols, err)
			}
			changed := func(q ChangeQuery) []string {
				var ids []string
				if err := src.ChangedCustomers(ctx, q, func(id string) error { ids = append(ids, id); return nil }); err != nil {
					t.Fatal(err)
				}
				slices.Sort(ids)
				return ids
			}
			// Orders a day before asOf + i hours: since asOf - 26h catches i <= 1.
			got := changed(ChangeQuery{Since: asOf.Add(-26 * time.Hour), Previous: asOf, AsOf: asOf})
			if want := []string{`o'brien`, `plain`}; !slices.Equal(got, want) {
				t.Fatalf("recent: %q, want %q", got, want)
			}
			// The year-old orders of i = 2 and 3 cross (asOf-1y-4d, asOf-1y-2d].
			year := asOf.AddDate(-1, 0, 0)
			got = changed(ChangeQuery{Since: asOf, Previous: asOf, AsOf: asOf,
				Crossings: []TimeRange{{After: year.AddDate(0, 0, -4), Until: year.AddDate(0, 0, -2)}}})
			if want := []string{`"quoted"`, `back\slash`}; !slices.Equal(got, want) {
				t.Fatalf("crossing: %q, want %q", got, want)
			}
			if got := changed(ChangeQuery{Since: asOf, Previous: asOf, AsOf: asOf}); len(got) != 0 {
				t.Fatalf("nothing changed, got %q", got)
			}
		})
	}
}
