package metrics

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// TestCohortCountsMergeLikeOneBuilder: orders split by customer over three
// builders, their counts added into a fourth, give the matrix one builder
// fed every order gives.
func TestCohortCountsMergeLikeOneBuilder(t *testing.T) {
	from, to := time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC), time.Date(2024, 9, 30, 0, 0, 0, 0, time.UTC)
	whole, _ := NewCohortBuilder(from, to)
	var parts [3]*CohortBuilder
	for i := range parts {
		parts[i], _ = NewCohortBuilder(from, to)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		id := fmt.Sprintf("c%d", i)
		for range 1 + r.IntN(6) {
			o := customer.Order{CustomerID: id, OccurredAt: from.AddDate(0, r.IntN(11)-2, r.IntN(28))}
			whole.Add(o)
			parts[i%3].Add(o)
		}
	}
	merged, _ := NewCohortBuilder(from, to)
	for _, p := range parts {
		if err := merged.AddCounts(p.Counts()); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := merged.Matrix(), whole.Matrix(); !reflect.DeepEqual(got, want) {
		t.Errorf("merged matrix\n%v\nwant\n%v", got, want)
	}
	other, _ := NewCohortBuilder(from, to.AddDate(0, 1, 0))
	if err := merged.AddCounts(other.Counts()); err == nil {
		t.Error("counts over another range were added")
	}
}

// TestAddCustomerEqualsAdd: counting a customer whole (first order, month
// bits) gives the same counts as adding each of its orders, including
// customers whose first order is before the range or who have no order in it.
func TestAddCustomerEqualsAdd(t *testing.T) {
	from := time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC)
	to := time.Date(2025, 1, 5, 0, 0, 0, 0, time.UTC)
	byOrder, err := NewCohortBuilder(from, to)
	if err != nil {
		t.Fatal(err)
	}
	whole, _ := NewCohortBuilder(from, to)
	rng := rand.New(rand.NewPCG(7, 11))
	first := monthIndex(from)
	for i := range 500 {
		id := fmt.Sprintf("c%d", i)
		var firstAt time.Time
		var months uint64
		for range 1 + rng.IntN(8) {
			at := from.AddDate(0, 0, rng.IntN(500)-120) // some before the range
			if at.After(to) {
				continue
			}
			byOrder.Add(customer.Order{CustomerID: id, OccurredAt: at})
			if firstAt.IsZero() || at.Before(firstAt) {
				firstAt = at
			}
			if k := monthIndex(at) - first; k >= 0 {
				months |= 1 << k
			}
		}
		if !firstAt.IsZero() {
			whole.AddCustomer(firstAt, months)
		}
	}
	got, want := whole.Counts(), byOrder.Counts()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("whole %+v\nby order %+v", got, want)
	}
	if want.Sizes[0] == 0 || want.Active[0][1] == 0 {
		t.Fatalf("counts %+v do not exercise cohorts and later months", want)
	}
}
