package datasource

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// TestOrderActivityMatchesOrders: on the fixture, each SQL source's
// aggregated activity equals the activity computed in Go from the fixture's
// orders (c5's order exactly on ActiveUntil counts; months are UTC months
// though orders carry offsets: c5's Tokyo June 1 is May 31 UTC).
func TestOrderActivityMatchesOrders(t *testing.T) {
	q, want := fixtureActivity(t)
	for name, as := range fixtureScanners[OrderActivityScanner](t) {
		t.Run(name, func(t *testing.T) {
			got := map[string]OrderActivity{}
			if err := as.ScanOrderActivity(context.Background(), q, func(a *OrderActivity) error {
				got[a.CustomerID] = *a
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, want) {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
			// Without months asked for, only the active flags remain.
			q0 := q
			q0.Months = 0
			if err := as.ScanOrderActivity(context.Background(), q0, func(a *OrderActivity) error {
				if w := want[a.CustomerID]; a.Months != 0 || a.Active != w.Active {
					t.Errorf("months not asked: %+v, want active %v and no months", *a, w.Active)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// fixtureActivity is the activity query the tests ask for and its answer
// computed in Go from the fixture's orders, keyed by customer.
func fixtureActivity(t *testing.T) (ActivityQuery, map[string]OrderActivity) {
	t.Helper()
	fx := newFixture()
	asOf := fixtureAsOf
	q := ActivityQuery{
		Since:       time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC),
		AsOf:        asOf,
		ActiveAfter: asOf.Add(-2 * fixtureWindow), ActiveUntil: asOf.Add(-fixtureWindow),
		// February 2023 to June 2024: c1 orders in both ends.
		MonthsFrom: time.Date(2023, 2, 1, 0, 0, 0, 0, time.UTC), Months: 17,
	}
	want := map[string]OrderActivity{}
	for _, o := range fx.orders {
		at := o.OccurredAt.UTC()
		if at.Before(q.Since) || at.After(q.AsOf) {
			continue
		}
		a := want[o.CustomerID]
		a.CustomerID = o.CustomerID
		if at.After(q.ActiveAfter) && !at.After(q.ActiveUntil) {
			a.Active = true
		}
		if k := (at.Year()-2023)*12 + int(at.Month()) - 2; k >= 0 && k < 17 {
			a.Months |= 1 << k
		}
		want[o.CustomerID] = a
	}
	if len(want) < 2 {
		t.Fatalf("fixture has %d customers ordering in range; the test needs several", len(want))
	}
	active, multiMonth := 0, 0
	for _, a := range want {
		if a.Active {
			active++
		}
		if a.Months&(a.Months-1) != 0 {
			multiMonth++
		}
	}
	if active == 0 || active == len(want) || multiMonth == 0 {
		t.Fatalf("fixture activity %+v does not exercise both flags and several months", want)
	}
	return q, want
}

// TestFeaturesActivityIsOneScan: a SQL source returning the activity with
// the features gives every customer's features exactly as ScanFeatures does
// and the same activity as ScanOrderActivity (zero for a customer without
// orders in range), with and without criteria pushed down.
func TestFeaturesActivityIsOneScan(t *testing.T) {
	aq, want := fixtureActivity(t)
	for name, fs := range fixtureScanners[interface {
		Connector
		FeatureActivityScanner
	}](t) {
		t.Run(name, func(t *testing.T) {
			for _, where := range []string{"", `"frequency" >= 1`} {
				q := FeatureQuery{AsOf: aq.AsOf, Window: fixtureWindow, Where: where}
				plain := map[string]string{}
				if err := fs.ScanFeatures(context.Background(), q, func(f *customer.Features) error {
					plain[f.ID] = fmt.Sprintf("%+v", *f)
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				got := map[string]string{}
				if err := fs.ScanFeaturesActivity(context.Background(), q, aq, func(f *customer.Features, a *OrderActivity) error {
					got[f.ID] = fmt.Sprintf("%+v", *f)
					if a.CustomerID != f.ID || a.Active != want[f.ID].Active || a.Months != want[f.ID].Months {
						t.Errorf("where %q: %s activity %+v, want %+v", where, f.ID, *a, want[f.ID])
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				if len(got) < 3 || !maps.Equal(got, plain) {
					t.Errorf("where %q: features with activity %v\nwithout %v", where, got, plain)
				}
			}
			later := aq
			later.AsOf = aq.AsOf.Add(time.Hour)
			if err := fs.ScanFeaturesActivity(context.Background(), FeatureQuery{AsOf: aq.AsOf}, later,
				func(*customer.Features, *OrderActivity) error { return nil }); err == nil {
				t.Error("activity as of another instant than the features: no error")
			}
		})
	}
}
