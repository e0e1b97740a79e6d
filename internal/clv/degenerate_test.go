package clv

import (
	"math"
	"strings"
	"testing"
)

func TestFitErrorsExplainTheData(t *testing.T) {
	oneTimers := []Summary{{CustomerID: "a", T: 10}, {CustomerID: "b", T: 5}}
	cases := []struct {
		name string
		fit  func() error
		want string
	}{
		{"BG/NBD without rows", func() error { _, _, err := FitBGNBD(nil); return err }, "at least one customer summary"},
		{"BG/NBD without repeaters", func() error { _, _, err := FitBGNBD(oneTimers); return err }, "at least one customer with a repeat purchase"},
		{"BG/NBD bad row", func() error {
			_, _, err := FitBGNBD([]Summary{{CustomerID: "x", Frequency: 1.5, Recency: 1, T: 2}})
			return err
		}, `summary row 0 (customer "x"): frequency 1.5 must be a non-negative whole number`},
		{"BG/NBD recency after T", func() error {
			_, _, err := FitBGNBD([]Summary{{CustomerID: "y", Frequency: 1, Recency: 3, T: 2}})
			return err
		}, "need 0 <= recency (3) <= T (2)"},
		{"Gamma-Gamma with one repeater", func() error {
			_, _, _, err := FitGammaGamma([]Summary{{Frequency: 2, Recency: 1, T: 2, Monetary: 5}})
			return err
		}, "at least 2 customers with repeat purchases of positive value, got 1"},
		{"Gamma-Gamma negative spend", func() error {
			_, _, _, err := FitGammaGamma([]Summary{{CustomerID: "z", Frequency: 2, Recency: 1, T: 2, Monetary: -5}})
			return err
		}, `customer "z"): monetary value -5 must be a non-negative number`},
	}
	for _, tc := range cases {
		if err := tc.fit(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}

// When every customer spends the same on average there is no between-customer
// heterogeneity: the likelihood keeps rising as q, v → ∞ with pv/q fixed. The
// fit must still return the limiting model, whose expected spend is the
// common mean.
func TestFitGammaGammaWithoutSpendHeterogeneity(t *testing.T) {
	var rows []Summary
	for i := range 200 {
		x := float64(1 + i%7)
		// Mean spend of x draws scatters around 50 only through the draws.
		m := 50 * (1 + 0.2*math.Sin(float64(i))/math.Sqrt(x))
		rows = append(rows, Summary{Frequency: x, Recency: 1, T: 2, Monetary: m})
	}
	g, stats, _, err := FitGammaGamma(rows)
	if err != nil {
		t.Fatalf("fit failed: %v (stats %+v)", err, stats)
	}
	t.Logf("p=%.4g q=%.4g v=%.4g status=%s", g.P, g.Q, g.V, stats.Status)
	if pop := g.ConditionalExpectedAverageProfit(0, 0); math.Abs(pop-50) > 2 {
		t.Errorf("population mean spend %.3f, want about 50", pop)
	}
}
