package datasource

import (
	"math/rand/v2"
	"testing"
)

// purchaseDaysOf gives the same days and the same float64 repeat spend
// whatever order a buyer's orders arrive in (a full scan, a restricted
// incremental one and a shard may each get another plan's order).
func TestPurchaseDaysOfIgnoresRowOrder(t *testing.T) {
	days := []int64{20000, 20003, 20000, 20010, 20003, 20003}
	amounts := []float64{0.1, 0.2, 0.3, 1e16, 1, -1e16}
	var want PurchaseDays
	purchaseDaysOf(days, amounts, nil, &want)
	if want.Days != 3 || want.FirstDay != 20000 || want.LastDay != 20010 {
		t.Fatalf("got %+v, want 3 days from 20000 to 20010", want)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		rng.Shuffle(len(days), func(i, j int) {
			days[i], days[j] = days[j], days[i]
			amounts[i], amounts[j] = amounts[j], amounts[i]
		})
		var got PurchaseDays
		purchaseDaysOf(days, amounts, nil, &got)
		if got != want {
			t.Fatalf("order %v %v: got %+v, want %+v", days, amounts, got, want)
		}
	}
}
