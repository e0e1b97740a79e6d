package metrics

import (
	"fmt"
	"testing"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// TestScoreAllMatchesSequential: scoring split over workers gives each id
// the CLV predict gives it alone (unknown ids 0), in the ids' order.
func TestScoreAllMatchesSequential(t *testing.T) {
	fx := predictShop()
	model, rows := fitOrders(t, fx.orders)
	p := &predictor{model: model, rows: rows}
	var ids []string
	for i := range 5000 { // enough for several workers
		ids = append(ids, fmt.Sprintf("p%02d", i%90)) // p80..p89 never ordered
	}
	got, err := scoreAll(p, ids)
	if err != nil {
		t.Fatal(err)
	}
	nonzero := 0
	for i, id := range ids {
		f := customer.Features{ID: id}
		if err := p.predict(&f); err != nil {
			t.Fatal(err)
		}
		if got[i] != f.PredictedCLV {
			t.Fatalf("id %s at %d: %v, want %v", id, i, got[i], f.PredictedCLV)
		}
		if f.PredictedCLV != 0 {
			nonzero++
		}
	}
	if nonzero == 0 {
		t.Fatal("every CLV is 0; the test checks nothing")
	}
}
