package datasource

import (
	"context"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	statestore "github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// TestWithoutErased: over a real CSV source and a real state store, every
// scan yields the customer's rows until they are erased and none after,
// without reopening anything (a long-running worker learns of the erasure
// on its next scan); other customers' rows are untouched.
func TestWithoutErased(t *testing.T) {
	ctx := context.Background()
	fx := newFixture()
	dir := t.TempDir()
	writeCSV(t, dir, fx)
	conn := mustOpen(t, sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatCSV, Path: dir})
	db := testdb.Open(t, testdb.SQLite(t), statestore.Open)
	if err := db.MigrateJourney(ctx); err != nil {
		t.Fatal(err)
	}
	src := WithoutErased(conn, db.ErasureList())
	rowsOf := func() map[string]int {
		t.Helper()
		n := map[string]int{}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(src.ScanCustomers(ctx, func(c *customer.Customer) error { n["customer/"+c.ID]++; return nil }))
		must(src.ScanOrders(ctx, time.Time{}, func(o *customer.Order) error { n["order/"+o.CustomerID]++; return nil }))
		must(src.ScanEvents(ctx, time.Time{}, func(e *customer.Event) error { n["event/"+e.CustomerID]++; return nil }))
		must(src.ScanFeedback(ctx, time.Time{}, func(f *customer.Feedback) error { n["feedback/"+f.CustomerID]++; return nil }))
		must(src.ScanFeatures(ctx, FeatureQuery{AsOf: fixtureAsOf, Window: fixtureWindow}, func(f *customer.Features) error {
			n["features/"+f.ID]++
			return nil
		}))
		return n
	}
	before := rowsOf()
	for _, k := range []string{"customer/c1", "order/c1", "feedback/c1", "features/c1"} {
		if before[k] == 0 {
			t.Fatalf("the fixture has no %s rows; the test would prove nothing: %v", k, before)
		}
	}
	if _, err := db.Forget(ctx, "c1", time.Now()); err != nil {
		t.Fatal(err)
	}
	after := rowsOf()
	for k, n := range before {
		switch {
		case len(k) > 3 && k[len(k)-3:] == "/c1":
			if after[k] != 0 {
				t.Errorf("%s: %d rows after the erasure, want 0", k, after[k])
			}
		case after[k] != n:
			t.Errorf("%s: %d rows after the erasure, want %d", k, after[k], n)
		}
	}
}
