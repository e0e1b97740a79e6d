package metrics

import (
	"encoding/json"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// jsonRoundTrip is s as stored: marshalled to JSON and read back.
func jsonRoundTrip(t *testing.T, s exactSum) exactSum {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back exactSum
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

// TestExactSumIsOrderFree: sums of the same values in shuffled orders and
// split into random groups are the same float64, and equal the exact sum
// (math/big at 2,200 bits holds any sum of float64s exactly) rounded once.
func TestExactSumIsOrderFree(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		n := 1 + r.IntN(500)
		xs := make([]float64, n)
		for i := range xs {
			switch r.IntN(4) {
			case 0:
				xs[i] = math.Round(r.Float64()*100000) / 100 // money
			case 1:
				xs[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(30)-15))
			case 2:
				xs[i] = -xs[max(0, i-1)] // cancellation
			default:
				xs[i] = 0.1
			}
		}
		exact := new(big.Float).SetPrec(2200)
		for _, x := range xs {
			exact.Add(exact, new(big.Float).SetFloat64(x))
		}
		want, _ := exact.Float64()
		var whole exactSum
		for _, x := range xs {
			whole.add(x)
		}
		if got := whole.value(); got != want {
			t.Fatalf("trial %d: sum %v, exact %v", trial, got, want)
		}
		r.Shuffle(n, func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
		parts := make([]exactSum, 1+r.IntN(5))
		for _, x := range xs {
			parts[r.IntN(len(parts))].add(x)
		}
		var merged exactSum
		for _, p := range parts {
			merged.merge(jsonRoundTrip(t, p))
		}
		if got := merged.value(); math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("trial %d: merged shuffled parts %v, exact %v", trial, got, want)
		}
	}
}

func TestExactSumSpecialValues(t *testing.T) {
	var s exactSum
	s.add(1)
	s.add(math.NaN())
	if !math.IsNaN(s.value()) {
		t.Errorf("1 + NaN = %v", s.value())
	}
	var inf exactSum
	inf.add(math.Inf(1))
	inf.add(2)
	back := jsonRoundTrip(t, inf)
	if !math.IsInf(back.value(), 1) {
		t.Errorf("+Inf + 2 after JSON = %v", back.value())
	}
	var big exactSum
	big.add(math.MaxFloat64)
	big.add(math.MaxFloat64)
	if !math.IsInf(big.value(), 1) {
		t.Errorf("overflow = %v, want +Inf", big.value())
	}
}
