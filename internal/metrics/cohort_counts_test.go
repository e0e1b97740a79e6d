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
