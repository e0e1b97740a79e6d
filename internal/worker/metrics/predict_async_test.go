package metrics

import (
	"testing"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// TestScoreAllMatchesSequential: scoring split over workers gives each
// member the CLV predict gives it alone, in the members' order.
func TestScoreAllMatchesSequential(t *testing.T) {
	fx := predictShop()
	p := fitShop(t, fx.orders)
	var members []int32
	for i := range 5000 { // enough for several workers
		members = append(members, int32(i%p.buyers.len()))
	}
	got, err := scoreAll(p, members)
	if err != nil {
		t.Fatal(err)
	}
	nonzero := 0
	for i, m := range members {
		f := customer.Features{ID: p.buyers.ids.ID(int(m))}
		if err := p.predict(&f); err != nil {
			t.Fatal(err)
		}
		if got[i] != f.PredictedCLV {
			t.Fatalf("id %s at %d: %v, want %v", f.ID, i, got[i], f.PredictedCLV)
		}
		if f.PredictedCLV != 0 {
			nonzero++
		}
	}
	if nonzero == 0 {
		t.Fatal("every CLV is 0; the test checks nothing")
	}
}
