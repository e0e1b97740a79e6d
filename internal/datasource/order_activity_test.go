package datasource

import (
	"context"
	"maps"
	"testing"
	"time"
)

// TestOrderActivityMatchesOrders: on the fixture, each SQL source's
// aggregated activity equals the activity computed in Go from the fixture's
// orders (c5's order exactly on ActiveUntil counts; months are UTC months
// though orders carry offsets: c5's Tokyo June 1 is May 31 UTC).
func TestOrderActivityMatchesOrders(t *testing.T) {
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
	for name, c := range openFixtureSources(t) {
		as, ok := c.(OrderActivityScanner)
		if !ok {
			continue // files stream orders instead
		}
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
