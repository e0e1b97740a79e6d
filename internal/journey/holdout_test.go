package journey

import (
	"fmt"
	"math"
	"testing"
)

// On 100,000 customers the holdout share is within ±1 percentage point of the
// setting, and the assignment is a pure function of (playbook, customer).
func TestHoldoutShareOn100k(t *testing.T) {
	const n = 100000
	for _, pct := range []float64{5, 10, 20, 33.3, 50} {
		in := 0
		for i := 0; i < n; i++ {
			if InHoldout("ns/winback", fmt.Sprintf("cust-%d", i), pct) {
				in++
			}
		}
		share := 100 * float64(in) / n
		if math.Abs(share-pct) > 1 {
			t.Errorf("holdout %g%%: share %.3f%% outside ±1pp", pct, share)
		}
		t.Logf("holdout %g%%: %d of %d = %.3f%%", pct, in, n, share)
	}
	if InHoldout("p", "c", 0) {
		t.Error("0% holdout must hold nobody out")
	}
}

func TestHoldoutBucketIsFNV1a(t *testing.T) {
	// FNV-1a-64 of "p\x00c" computed by hand from the offset basis
	// 14695981039346656037 and prime 1099511628211:
	// h = ((((basis ^ 'p') * prime) ^ 0) * prime ^ 'c') * prime (mod 2^64).
	var h uint64 = 14695981039346656037
	for _, b := range []byte("p\x00c") {
		h ^= uint64(b)
		h *= 1099511628211
	}
	if got, want := HoldoutBucket("p", "c"), float64(h%10000)/100; got != want {
		t.Fatalf("bucket %v, want %v", got, want)
	}
}

// Lift fixture worked by hand: treatment 120/1000 = 0.12, holdout 30/400 = 0.075.
// diff = 0.045; se = sqrt(0.12*0.88/1000 + 0.075*0.925/400)
//
//	= sqrt(0.0001056 + 0.000173438) = sqrt(0.000279038) = 0.0167044
//
// 95% Wald: 0.045 ± 1.96*0.0167044 = [0.012260, 0.077740]; relative 0.12/0.075-1 = 0.6.
func TestComputeLiftHandExample(t *testing.T) {
	l := ComputeLift(120, 1000, 30, 400)
	check := func(name string, got, want float64) {
		if math.Abs(got-want) > 5e-6 {
			t.Errorf("%s = %.7f, want %.7f", name, got, want)
		}
	}
	check("treatmentRate", l.TreatmentRate, 0.12)
	check("holdoutRate", l.HoldoutRate, 0.075)
	check("difference", l.Difference, 0.045)
	check("low", l.Low, 0.012260)
	check("high", l.High, 0.077740)
	check("relative", l.Relative, 0.6)
	if !l.Valid {
		t.Error("want valid")
	}
	if ComputeLift(1, 10, 0, 0).Valid {
		t.Error("empty holdout must be invalid")
	}
}
