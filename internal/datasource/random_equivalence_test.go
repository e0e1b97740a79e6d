package datasource

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// randomFixture draws n customers with random histories around fixtureAsOf:
// sign-ups before and after AsOf, zero to many orders (some in the same
// second, some after AsOf, some on the window boundary), feedback ties, and
// timestamps written in several offsets.
func randomFixture(seed uint64, n int) fixture {
	r := rand.New(rand.NewPCG(seed, 0))
	zones := []*time.Location{time.UTC, berlin, tokyo, newYork}
	at := func(t time.Time) time.Time { return t.In(zones[r.IntN(len(zones))]) }
	span := 3 * 365 * 24 * time.Hour
	start := fixtureAsOf.Add(-span)
	var fx fixture
	for i := range n {
		id := fmt.Sprintf("r%04d", i)
		created := start.Add(time.Duration(r.Int64N(int64(span + 60*24*time.Hour)))).Truncate(time.Second)
		fx.customers = append(fx.customers, customer.Customer{ID: id, Email: id + "@example.com",
			TimeZone: []string{"", "Europe/Berlin", "Asia/Tokyo"}[r.IntN(3)], CreatedAt: at(created),
			Attributes: map[string]string{"k": fmt.Sprint(r.IntN(5))}, ConsentEmail: r.IntN(2) == 0, ConsentSMS: r.IntN(3) == 0})
		t := created
		for k := range r.IntN(12) {
			switch r.IntN(6) {
			case 0: // same second as the previous order
			case 1:
				t = fixtureAsOf.Add(-fixtureWindow) // exactly on the window start
			default:
				t = t.Add(time.Duration(r.Int64N(int64(120 * 24 * time.Hour)))).Truncate(time.Second)
			}
			amount := math.Round(r.Float64()*20000) / 100
			fx.orders = append(fx.orders, customer.Order{CustomerID: id, OrderID: fmt.Sprintf("%s-%d", id, k), Amount: amount, OccurredAt: at(t)})
		}
		if r.IntN(3) == 0 {
			ft := created.Add(time.Duration(r.Int64N(int64(400 * 24 * time.Hour)))).Truncate(time.Second)
			for range 1 + r.IntN(3) {
				if r.IntN(2) == 0 {
					ft = ft.Add(time.Duration(r.Int64N(int64(90 * 24 * time.Hour)))).Truncate(time.Second)
				} // else: same instant as the previous answer, a tie
				fx.feedback = append(fx.feedback, customer.Feedback{CustomerID: id, Score: r.IntN(11), OccurredAt: at(ft)})
			}
		}
	}
	return fx
}

// TestFeaturesEquivalentOnRandomData is the equivalence test on 400 random
// customers: every source must emit the same rows, field by field.
func TestFeaturesEquivalentOnRandomData(t *testing.T) {
	fx := randomFixture(7, 400)
	sources := openSources(t, fixtureSources(t, fx))
	q := FeatureQuery{AsOf: fixtureAsOf, Window: fixtureWindow}
	ref := collectFeatures(t, sources["csv"], q)
	if len(ref) < 300 {
		t.Fatalf("only %d customers as of AsOf; the fixture should have most of its 400", len(ref))
	}
	var withOrders, withNPS, inWindow int
	for _, f := range ref {
		if f.Frequency > 0 {
			withOrders++
		}
		if f.NPS >= 0 {
			withNPS++
		}
		if f.WindowOrders > 0 {
			inWindow++
		}
	}
	if withOrders == 0 || withNPS == 0 || inWindow == 0 || withOrders == len(ref) {
		t.Fatalf("fixture lacks variety: %d with orders, %d with NPS, %d in window of %d", withOrders, withNPS, inWindow, len(ref))
	}
	for name, c := range sources {
		if name == "csv" {
			continue
		}
		got := collectFeatures(t, c, q)
		if len(got) != len(ref) {
			t.Fatalf("%s: %d rows, csv %d", name, len(got), len(ref))
		}
		for i := range ref {
			if d := diffFeatures(got[i], ref[i]); len(d) > 0 {
				t.Errorf("%s: row %s differs from csv in %v:\n got %+v\n csv %+v", name, ref[i].ID, d, got[i], ref[i])
			}
		}
	}
	t.Logf("compared %d sources on %d customers (%d with orders, %d with NPS, %d ordering in the window)",
		len(sources), len(ref), withOrders, withNPS, inWindow)
}
