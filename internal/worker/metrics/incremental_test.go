package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/metrics"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/specmap"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// incrementalSpec asks for every metric, with a criteria on recencyDays so
// that membership also changes for customers whose data did not (time
// passes), and a 30-day window so orders leave it every day.
var incrementalSpec = v1alpha1.SegmentSpec{
	Criteria: `customer.frequency >= 2 && customer.recencyDays < 150.0`,
	Window:   "30d",
	Metrics: []v1alpha1.MetricName{"retentionRate", "churnRate", "repeatPurchaseRate", "purchaseFrequency",
		"averageOrderValue", "historicalCLV", "nps", "cohortRetention", "predictedCLV"},
	Incremental: &v1alpha1.SegmentIncremental{Overlap: "7d", FullEvery: "30d", RefitEvery: "30d"},
}

// history is a generated shop in a SQL data source.
type history struct {
	db   *store.DB
	cfg  sourceconfig.Config
	rng  *rand.Rand
	next int // order id counter
	// written, when set, is the updated_at of new orders (the column exists).
	written time.Time
	// orders by id (customer, date) for picking corrections.
	orders []customer.Order
}

func (h *history) at(t time.Time) any {
	if h.db.Dialect == store.SQLite {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return t
}

func (h *history) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := h.db.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (h *history) addOrder(t *testing.T, id string, at time.Time) {
	t.Helper()
	h.next++
	o := customer.Order{CustomerID: id, OrderID: fmt.Sprintf("o%05d", h.next), OccurredAt: at,
		Amount: float64(h.rng.IntN(20000)) / 100}
	if h.written.IsZero() {
		h.exec(t, `INSERT INTO orders (customer_id, order_id, amount, occurred_at) VALUES ($1, $2, $3, $4)`,
			o.CustomerID, o.OrderID, o.Amount, h.at(o.OccurredAt))
	} else {
		h.exec(t, `INSERT INTO orders (customer_id, order_id, amount, occurred_at, updated_at) VALUES ($1, $2, $3, $4, $5)`,
			o.CustomerID, o.OrderID, o.Amount, h.at(o.OccurredAt), h.at(h.written))
	}
	h.orders = append(h.orders, o)
}

// correct changes an existing order's amount (and date when moveTo is
// set), as a source does when an order is corrected: same order id.
func (h *history) correct(t *testing.T, o customer.Order, now time.Time, moveTo time.Time, withUpdatedAt bool) {
	t.Helper()
	amount := o.Amount + 17.25
	at := o.OccurredAt
	if !moveTo.IsZero() {
		at = moveTo
	}
	if withUpdatedAt {
		h.exec(t, `UPDATE orders SET amount = $1, occurred_at = $2, updated_at = $3 WHERE order_id = $4`, amount, h.at(at), h.at(now), o.OrderID)
		return
	}
	h.exec(t, `UPDATE orders SET amount = $1, occurred_at = $2 WHERE order_id = $3`, amount, h.at(at), o.OrderID)
}

// newHistory loads 240 customers created over two years before t0 with up
// to 12 orders each, a few orders of ids without a customer row, and
// feedback.
func newHistory(t *testing.T, db *store.DB, cfg sourceconfig.Config, t0 time.Time, withUpdatedAt bool) *history {
	t.Helper()
	ctx := context.Background()
	if err := datasource.CreateTables(ctx, db.DB, true); err != nil {
		t.Fatal(err)
	}
	h := &history{db: db, cfg: cfg, rng: rand.New(rand.NewPCG(7, 11))}
	if withUpdatedAt {
		typ := "timestamptz"
		if db.Dialect == store.SQLite {
			typ = "TEXT"
		}
		h.exec(t, `ALTER TABLE orders ADD COLUMN updated_at `+typ)
	}
	span := 730 * 24 * time.Hour
	for i := range 240 {
		id := fmt.Sprintf("c%03d", i)
		createdAt := t0.Add(-time.Duration(h.rng.Int64N(int64(span))))
		h.exec(t, `INSERT INTO customers (id, email, created_at, attributes) VALUES ($1, $2, $3, $4)`,
			id, id+"@example.com", h.at(createdAt), `{"plan":"p`+fmt.Sprint(i%3)+`"}`)
		for range h.rng.IntN(13) {
			h.addOrder(t, id, createdAt.Add(time.Duration(h.rng.Int64N(int64(t0.Sub(createdAt))))))
		}
		if h.rng.IntN(3) == 0 {
			h.exec(t, `INSERT INTO feedback (customer_id, score, occurred_at) VALUES ($1, $2, $3)`,
				id, h.rng.IntN(11), h.at(t0.Add(-time.Duration(h.rng.IntN(200))*time.Hour)))
		}
	}
	for i := range 5 {
		h.addOrder(t, fmt.Sprintf("orphan%d", i), t0.Add(-time.Duration(i*100+5)*time.Hour))
	}
	return h
}

// day changes the data as a day of business does by now: new orders dated
// that day, late orders dated last week, corrected orders (same id, new
// amount; one moved to another date), a new customer, new feedback.
func (h *history) day(t *testing.T, prev, now time.Time, withUpdatedAt bool) {
	t.Helper()
	n := len(h.orders)
	if withUpdatedAt {
		// The source stamps every write; rows written during the day.
		h.written = now.Add(-time.Minute)
	}
	for range 25 {
		id := fmt.Sprintf("c%03d", h.rng.IntN(240))
		h.addOrder(t, id, prev.Add(time.Duration(h.rng.Int64N(int64(now.Sub(prev))))+time.Millisecond))
	}
	for range 6 { // late: dated last week, written today
		id := fmt.Sprintf("c%03d", h.rng.IntN(240))
		h.addOrder(t, id, prev.Add(-time.Duration(1+h.rng.IntN(6*24))*time.Hour))
	}
	newID := fmt.Sprintf("n%s", now.Format("0102"))
	h.exec(t, `INSERT INTO customers (id, email, created_at) VALUES ($1, $2, $3)`, newID, newID+"@example.com", h.at(now.Add(-time.Hour)))
	h.addOrder(t, newID, now.Add(-30*time.Minute))
	h.addOrder(t, newID, now.Add(-20*time.Minute))
	h.exec(t, `INSERT INTO feedback (customer_id, score, occurred_at) VALUES ($1, $2, $3)`, "c007", 3, h.at(now.Add(-2*time.Hour)))
	// Corrections of orders dated inside the overlap are seen by their date.
	corrected := 0
	for _, o := range h.orders[:n] {
		if o.OccurredAt.After(prev.Add(-6*24*time.Hour)) && corrected < 3 {
			h.correct(t, o, now, time.Time{}, withUpdatedAt)
			corrected++
		}
	}
	if corrected == 0 {
		t.Fatal("no order inside the overlap to correct")
	}
	if withUpdatedAt {
		// Old orders (a year back) are seen only through updated_at: one
		// with a new amount, one moved into the current window.
		var old []customer.Order
		for _, o := range h.orders[:n] {
			if o.OccurredAt.Before(prev.Add(-300*24*time.Hour)) && !strings.HasPrefix(o.CustomerID, "orphan") {
				old = append(old, o)
			}
		}
		h.correct(t, old[h.rng.IntN(len(old))], now, time.Time{}, true)
		h.correct(t, old[h.rng.IntN(len(old))], now, now.Add(-10*24*time.Hour), true)
	}
}

// chain is one state store running the segment day after day.
type chain struct {
	name string
	db   *store.DB
	logs bytes.Buffer
}

func (c *chain) run(t *testing.T, cfg sourceconfig.Config, spec v1alpha1.SegmentSpec, at time.Time, full bool) report.Segment {
	t.Helper()
	c.logs.Reset()
	sum, err := Run(context.Background(), Options{Namespace: "shop", Name: "recent-repeaters", Segment: segmentConfig(t, spec), Source: cfg, DB: c.db,
		Clock: func() time.Time { return at }, Full: full, Logger: slog.New(slog.NewJSONHandler(&c.logs, nil))})
	if err != nil {
		t.Fatalf("%s run at %s: %v\nlogs: %s", c.name, at, err, c.logs.String())
	}
	return sum
}

func (c *chain) mode(t *testing.T) string {
	t.Helper()
	for line := range strings.SplitSeq(c.logs.String(), "\n") {
		var rec struct {
			Msg, Mode string
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "segment aggregates" {
			return rec.Mode
		}
	}
	t.Fatalf("%s: no segment aggregates log line in %s", c.name, c.logs.String())
	return ""
}

// members returns every stored member with its stored feature row.
func (c *chain) members(t *testing.T) map[string]string {
	t.Helper()
	return storedMembers(t, c.db, "recent-repeaters")
}

// aggregates returns the stored rows by customer.
func (c *chain) aggregates(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := c.db.ScanSegmentAggregates(context.Background(), store.SegmentRef{Namespace: "shop", Name: "recent-repeaters"},
		func(id string, row []byte) error {
			out[id] = string(row)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// figures is a report without its run-dependent fields.
func figures(s report.Segment) report.Segment {
	s.LastSuccess, s.RunTime = nil, time.Time{}
	return s
}

// TestIncrementalEqualsFull is the must-show of issue #16: after inserted,
// late and corrected orders, an incremental run gives exactly the figures,
// membership, member feature rows and stored aggregates of a full
// recomputation of the same days, on PostgreSQL and SQLite, with and
// without an updated_at column.
func TestIncrementalEqualsFull(t *testing.T) {
	t0 := time.Date(2024, 6, 10, 6, 0, 0, 0, time.UTC)
	type stores struct {
		data       *store.DB
		cfg        sourceconfig.Config
		incr, full *store.DB
	}
	kinds := map[string]func(t *testing.T) stores{
		"sqlite": func(t *testing.T) stores {
			path, data := newSQLiteData(t)
			t.Cleanup(func() { data.Close() })
			return stores{data: data, cfg: sourceconfig.Config{Kind: sourceconfig.KindSQLite, Path: path},
				incr: testdb.Open(t, testdb.SQLite(t), store.Open), full: testdb.Open(t, testdb.SQLite(t), store.Open)}
		},
		"postgres": func(t *testing.T) stores {
			data := testdb.Open(t, testdb.Postgres(t), store.Open)
			return stores{data: data, cfg: sourceconfig.Config{Kind: sourceconfig.KindPostgres, DSN: schemaDSN(t, data)},
				incr: testdb.Open(t, testdb.Postgres(t), store.Open), full: testdb.Open(t, testdb.Postgres(t), store.Open)}
		},
	}
	for _, kind := range []string{"sqlite", "postgres"} {
		for _, withUpdatedAt := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/updated_at=%t", kind, withUpdatedAt), func(t *testing.T) {
				s := kinds[kind](t)
				h := newHistory(t, s.data, s.cfg, t0, withUpdatedAt)
				incr, full := &chain{name: "incremental", db: s.incr}, &chain{name: "full", db: s.full}
				a, b := incr.run(t, s.cfg, incrementalSpec, t0, false), full.run(t, s.cfg, incrementalSpec, t0, false)
				if incr.mode(t) != "full" {
					t.Fatalf("first run: mode %q, want full (nothing stored yet)", incr.mode(t))
				}
				if !reflect.DeepEqual(figures(a), figures(b)) {
					t.Fatalf("day 0 differs:\n%+v\n%+v", a, b)
				}
				prev := t0
				for d := 1; d <= 3; d++ {
					now := t0.Add(time.Duration(d) * 24 * time.Hour)
					h.day(t, prev, now, withUpdatedAt)
					a := incr.run(t, s.cfg, incrementalSpec, now, false)
					if m := incr.mode(t); m != "incremental" {
						t.Fatalf("day %d: mode %q, want incremental", d, m)
					}
					b := full.run(t, s.cfg, incrementalSpec, now, true)
					if m := full.mode(t); m != "full" {
						t.Fatalf("day %d: --full ran in mode %q", d, m)
					}
					if !reflect.DeepEqual(figures(a), figures(b)) {
						t.Fatalf("day %d: incremental and full figures differ:\nincremental %+v\nfull        %+v", d, a, b)
					}
					if a.Size == 0 || !hasFigures(a, "predictedCLV", "retentionRate") || a.Cohorts == nil {
						t.Fatalf("day %d: the fixture must exercise every metric: %+v", d, a)
					}
					if ma, mb := incr.members(t), full.members(t); !reflect.DeepEqual(ma, mb) {
						t.Fatalf("day %d: members differ: %d incremental, %d full", d, len(ma), len(mb))
					}
					aa, ab := incr.aggregates(t), full.aggregates(t)
					if len(aa) != len(ab) {
						t.Fatalf("day %d: %d stored aggregates incremental, %d full", d, len(aa), len(ab))
					}
					for id, row := range ab {
						if aa[id] != row {
							var x, y aggregate
							errX, errY := decodeAggregate([]byte(aa[id]), &x, map[string]string{}), decodeAggregate([]byte(row), &y, map[string]string{})
							t.Fatalf("day %d: customer %s's aggregates differ:\nincremental %+v (%v)\nfull        %+v (%v)", d, id, x, errX, y, errY)
						}
					}
					// The figures a non-incremental run computes from the
					// source directly (model fitted afresh, so its predicted
					// CLV differs by design).
					plain := incrementalSpec
					plain.Incremental = nil
					c := (&chain{name: "plain", db: testdb.Open(t, testdb.SQLite(t), store.Open)}).run(t, s.cfg, plain, now, false)
					delete(c.Metrics, "predictedCLV")
					delete(a.Metrics, "predictedCLV")
					if !maps.Equal(report.Decimals(c.Metrics), report.Decimals(a.Metrics)) || c.Size != a.Size || !reflect.DeepEqual(c.Cohorts, a.Cohorts) || c.Customers != a.Customers {
						t.Fatalf("day %d: incremental figures differ from a plain run's:\nincremental %+v\nplain       %+v", d, a, c)
					}
					prev = now
				}
			})
		}
	}
}

// TestAggregateRoundTrip: a row reads back as written, every field, and a
// damaged row is refused with advice rather than misread.
func TestAggregateRoundTrip(t *testing.T) {
	a := aggregate{hasFeatures: true, hasDays: true, hasActivity: true, active: true, months: 1<<62 | 5,
		f: customer.Features{Email: "x@example.com", TimeZone: "Europe/Paris", Frequency: 7, Monetary: 123.45,
			AverageOrderValue: 17.635714285714286, WindowOrders: 2, WindowSpend: -0.1, NPS: -1, ConsentSMS: true,
			FirstOrderAt: time.Date(1969, 3, 1, 1, 2, 3, 999999999, time.UTC), LastOrderAt: time.Date(2024, 6, 1, 0, 0, 0, 1000, time.UTC),
			Attributes: map[string]string{"plan": "pro", "": "empty key", "country": ""}},
		days: datasource.PurchaseDays{Days: 3, FirstDay: -300, LastDay: 19876, RepeatSpend: 0.30000000000000004}}
	row := encodeAggregate(nil, &a)
	var b aggregate
	if err := decodeAggregate(row, &b, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	if !b.f.CreatedAt.IsZero() || !reflect.DeepEqual(a, b) {
		t.Fatalf("round trip:\n%+v\n%+v", a, b)
	}
	for _, bad := range [][]byte{nil, {2, 0}, row[:len(row)-1], append(append([]byte{}, row...), 0)} {
		if err := decodeAggregate(bad, &b, map[string]string{}); err == nil || !strings.Contains(err.Error(), "--full") {
			t.Fatalf("damaged row %x: err %v", bad, err)
		}
	}
}

// TestIncrementalFileSourceRunsInFull: a CSV source has no index to find a
// day's rows by, so spec.incremental changes nothing: same figures as
// without it, and no aggregates stored.
func TestIncrementalFileSourceRunsInFull(t *testing.T) {
	src := sources(t, fixtureShop())["csv"](t)
	spec := fixtureSeg
	spec.Incremental = &v1alpha1.SegmentIncremental{}
	a, err := runAt(t, src, spec, asOf)
	if err != nil {
		t.Fatal(err)
	}
	b, err := runAt(t, sources(t, fixtureShop())["csv"](t), fixtureSeg, asOf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(figures(a), figures(b)) || a.Size == 0 {
		t.Fatalf("with spec.incremental %+v, without %+v", a, b)
	}
	ctx := context.Background()
	if err := src.db.MigrateSegmentAggregates(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := src.db.SegmentAggregateState(ctx, store.SegmentRef{Namespace: "shop", Name: "buyers"}); err != nil || ok {
		t.Fatalf("a file source stored aggregates (%v)", err)
	}
}

// TestIncrementalSettingsNameTheField: a bad duration names its field (the
// Segment's mapping refuses it), and unset durations take the defaults.
func TestIncrementalSettingsNameTheField(t *testing.T) {
	spec := v1alpha1.SegmentSpec{Criteria: "true", Incremental: &v1alpha1.SegmentIncremental{RefitEvery: "0d"}}
	if _, err := specmap.Segment(&spec); err == nil || !strings.Contains(err.Error(), "spec.incremental.refitEvery") {
		t.Fatalf("err = %v", err)
	}
	spec.Incremental = &v1alpha1.SegmentIncremental{Overlap: "2d"}
	s := newIncrementalSettings(segmentConfig(t, spec).Incremental)
	if s.overlap != 48*time.Hour || s.fullEvery != metrics.DefaultFullEvery || s.refitEvery != metrics.DefaultRefitEvery {
		t.Fatalf("settings %+v", s)
	}
}

// hasFigures says whether the report carries every one of the figures.
func hasFigures(sum report.Segment, names ...string) bool {
	for _, name := range names {
		if _, ok := sum.Metrics[name]; !ok {
			return false
		}
	}
	return true
}
