package datasource

import (
	"context"
	"maps"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

func sortFeatures(fs []customer.Features) {
	sort.Slice(fs, func(i, j int) bool { return fs[i].ID < fs[j].ID })
}

// openFixtureSources opens the fixture in every kind of source the machine
// can run (fixtureSources), by name.
func openFixtureSources(t *testing.T) map[string]Connector {
	t.Helper()
	return openSources(t, fixtureSources(t, newFixture()))
}

// fixtureScanners is openFixtureSources narrowed to the sources that
// implement S: the SQL ones for the aggregating scanners (files stream
// orders instead).
func fixtureScanners[S any](t *testing.T) map[string]S {
	t.Helper()
	out := map[string]S{}
	for name, c := range openFixtureSources(t) {
		if s, ok := c.(S); ok {
			out[name] = s
		}
	}
	return out
}

// schemaDSN is dsn pinned to the test schema testdb.Postgres created.
func schemaDSN(t *testing.T, dsn string, db *store.DB) string {
	t.Helper()
	return testdb.SchemaDSN(t, dsn, db)
}

func mustOpen(t *testing.T, cfg sourceconfig.Config) Connector {
	t.Helper()
	c, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// expectedFixtureFeatures are computed by hand from newFixture (see the
// comments there) as of 2024-06-30T12:00:00Z with a 30-day window.
func expectedFixtureFeatures() []customer.Features {
	zero := time.Time{}
	return []customer.Features{
		{ID: "c1", Email: "c1@example.com", TimeZone: "Europe/Berlin",
			RecencyDays: 19 + 16.0/24, Frequency: 3, Monetary: 35.75, AverageOrderValue: 35.75 / 3,
			TenureDays: 532 + 2.0/24, WindowOrders: 2, WindowSpend: 25.25,
			FirstOrderAt: ts("2023-02-01T09:00:00Z"), LastOrderAt: ts("2024-06-10T20:00:00Z"),
			CreatedAt: ts("2023-01-15T10:00:00Z"), NPS: 9, ConsentEmail: true,
			Attributes: map[string]string{"plan": "gold", "country": "DE"}},
		{ID: "c2", Email: "c2@example.com", TimeZone: "America/New_York",
			RecencyDays: 29.5, TenureDays: 29.5, FirstOrderAt: zero, LastOrderAt: zero,
			CreatedAt: ts("2024-06-01T00:00:00Z"), NPS: -1, ConsentSMS: true, Attributes: map[string]string{}},
		{ID: "c3", Email: "c3@example.com",
			RecencyDays: 162.5, Frequency: 1, Monetary: 99.99, AverageOrderValue: 99.99,
			TenureDays: 547 - 11.0/24, FirstOrderAt: ts("2024-01-20T00:00:00Z"), LastOrderAt: ts("2024-01-20T00:00:00Z"),
			CreatedAt: ts("2022-12-31T23:00:00Z"), NPS: 3, ConsentEmail: true, ConsentSMS: true,
			Attributes: map[string]string{"note": `say "hi"`}},
		{ID: "c5", TimeZone: "Asia/Tokyo",
			RecencyDays: 29 + 20.5/24, Frequency: 2, Monetary: 11, AverageOrderValue: 5.5,
			TenureDays: 60 + 21.0/24, WindowOrders: 1, WindowSpend: 7.7,
			FirstOrderAt: ts("2024-05-31T12:00:00Z"), LastOrderAt: ts("2024-05-31T15:30:00Z"),
			CreatedAt: ts("2024-04-30T15:00:00Z"), NPS: 6, Attributes: map[string]string{"tier": "b"}},
	}
}

// diffFeatures lists the fields where a and b differ (floats within 1e-9).
func diffFeatures(a, b customer.Features) []string {
	var d []string
	fl := func(name string, x, y float64) {
		if math.Abs(x-y) > 1e-9 {
			d = append(d, name)
		}
	}
	if a.ID != b.ID || a.Email != b.Email || a.TimeZone != b.TimeZone {
		d = append(d, "id/email/timeZone")
	}
	fl("recencyDays", a.RecencyDays, b.RecencyDays)
	fl("monetary", a.Monetary, b.Monetary)
	fl("averageOrderValue", a.AverageOrderValue, b.AverageOrderValue)
	fl("tenureDays", a.TenureDays, b.TenureDays)
	fl("windowSpend", a.WindowSpend, b.WindowSpend)
	if a.Frequency != b.Frequency || a.WindowOrders != b.WindowOrders || a.NPS != b.NPS {
		d = append(d, "frequency/windowOrders/nps")
	}
	if !a.FirstOrderAt.Equal(b.FirstOrderAt) || !a.LastOrderAt.Equal(b.LastOrderAt) || !a.CreatedAt.Equal(b.CreatedAt) {
		d = append(d, "firstOrderAt/lastOrderAt/createdAt")
	}
	if a.ConsentEmail != b.ConsentEmail || a.ConsentSMS != b.ConsentSMS {
		d = append(d, "consent")
	}
	if !maps.Equal(a.Attributes, b.Attributes) {
		d = append(d, "attributes")
	}
	return d
}

// TestFeaturesEquivalentAcrossSources loads one data set into PostgreSQL,
// SQLite, CSV and NDJSON and requires the same feature rows from each, equal
// to the hand-computed ones.
func TestFeaturesEquivalentAcrossSources(t *testing.T) {
	sources := openFixtureSources(t)
	want := expectedFixtureFeatures()
	q := FeatureQuery{AsOf: fixtureAsOf, Window: fixtureWindow}
	for name, c := range sources {
		got := collectFeatures(t, c, q)
		if len(got) != len(want) {
			ids := make([]string, len(got))
			for i := range got {
				ids[i] = got[i].ID
			}
			t.Fatalf("%s: %d rows %v, want %d (c1 c2 c3 c5)", name, len(got), ids, len(want))
		}
		for i := range want {
			if d := diffFeatures(got[i], want[i]); len(d) > 0 {
				t.Errorf("%s: row %s differs in %v:\n got %+v\nwant %+v", name, want[i].ID, d, got[i], want[i])
			}
		}
	}
	if len(sources) < 4 {
		t.Logf("compared %d sources (PostgreSQL missing)", len(sources))
	}
}

// TestFeaturesWhere checks that a translated predicate is applied in the database.
func TestFeaturesWhere(t *testing.T) {
	sources := openFixtureSources(t)
	q := FeatureQuery{AsOf: fixtureAsOf, Window: fixtureWindow,
		Where: `"recencyDays" > $1 AND "frequency" >= $2`, Args: []any{20.0, 1}}
	for _, name := range []string{"sqlite", "postgres"} {
		c, ok := sources[name]
		if !ok {
			continue
		}
		got := collectFeatures(t, c, q)
		var ids []string
		for _, f := range got {
			ids = append(ids, f.ID)
		}
		if strings.Join(ids, ",") != "c3,c5" {
			t.Errorf("%s: where gave %v, want [c3 c5]", name, ids)
		}
	}
}

// TestFeaturesWhereOnAttributes: predicates reach attributes with each
// dialect's JSON operator (jsonb ->> in PostgreSQL, json_extract in SQLite).
func TestFeaturesWhereOnAttributes(t *testing.T) {
	sources := openFixtureSources(t)
	where := map[string]string{
		"postgres": `"attributes"->>'plan' = $1 AND "consentEmail"`,
		"sqlite":   `json_extract("attributes", '$.plan') = $1 AND "consentEmail"`,
	}
	for name, pred := range where {
		c, ok := sources[name]
		if !ok {
			continue
		}
		got := collectFeatures(t, c, FeatureQuery{AsOf: fixtureAsOf, Where: pred, Args: []any{"gold"}})
		if len(got) != 1 || got[0].ID != "c1" || got[0].Attributes["country"] != "DE" {
			t.Errorf("%s: %+v, want only c1", name, got)
		}
	}
}

// TestFeaturesZeroWindow: without a window no order counts as recent.
func TestFeaturesZeroWindow(t *testing.T) {
	for name, c := range openFixtureSources(t) {
		for _, f := range collectFeatures(t, c, FeatureQuery{AsOf: fixtureAsOf}) {
			if f.WindowOrders != 0 || f.WindowSpend != 0 {
				t.Errorf("%s: %s window %d/%v with zero window", name, f.ID, f.WindowOrders, f.WindowSpend)
			}
		}
	}
}

// TestScanTablesAcrossSources checks the plain streams agree (counts and a value).
func TestScanTablesAcrossSources(t *testing.T) {
	ctx := context.Background()
	since := ts("2024-06-01T00:00:00Z")
	for name, c := range openFixtureSources(t) {
		var customers, orders, events, feedback int
		var spend float64
		var c1 customer.Customer
		if err := c.ScanCustomers(ctx, func(cu *customer.Customer) error {
			customers++
			if cu.ID == "c1" {
				c1 = *cu
			}
			return nil
		}); err != nil {
			t.Fatalf("%s customers: %v", name, err)
		}
		// since 2024-06-01: o2, o3, o5, o8 (ghost included: plain streams do not join).
		if err := c.ScanOrders(ctx, since, func(o *customer.Order) error { orders++; spend += o.Amount; return nil }); err != nil {
			t.Fatalf("%s orders: %v", name, err)
		}
		if err := c.ScanEvents(ctx, since, func(e *customer.Event) error {
			events++
			if e.Properties["os"] != "ios" {
				t.Errorf("%s: event properties %v", name, e.Properties)
			}
			return nil
		}); err != nil {
			t.Fatalf("%s events: %v", name, err)
		}
		if err := c.ScanFeedback(ctx, since, func(*customer.Feedback) error { feedback++; return nil }); err != nil {
			t.Fatalf("%s feedback: %v", name, err)
		}
		if customers != 5 || orders != 4 || math.Abs(spend-1075.25) > 1e-9 || events != 1 || feedback != 3 {
			t.Errorf("%s: customers %d orders %d spend %v events %d feedback %d; want 5 4 1075.25 1 3",
				name, customers, orders, spend, events, feedback)
		}
		if c1.Email != "c1@example.com" || !c1.ConsentEmail || c1.ConsentSMS || c1.Attributes["plan"] != "gold" ||
			!c1.CreatedAt.Equal(ts("2023-01-15T10:00:00Z")) {
			t.Errorf("%s: c1 = %+v", name, c1)
		}
	}
}
