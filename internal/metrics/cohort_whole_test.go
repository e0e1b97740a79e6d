package metrics

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

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
