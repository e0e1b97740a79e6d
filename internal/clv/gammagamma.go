package clv

import (
	"errors"
	"fmt"
	"math"
)

// GammaGamma holds the parameters of the Gamma-Gamma model of spend per
// transaction (Fader, Hardie & Lee 2005, "RFM and CLV"; Colombo & Jiang 1999):
// a customer's transaction values are Gamma(p, ν) around a customer mean, and
// the customer's rate ν ~ Gamma(shape q, rate v) across customers. Spend is
// assumed independent of purchase frequency.
type GammaGamma struct {
	P, Q, V float64
}

// ConditionalExpectedAverageProfit is E[Z | x, m], the expected value of a
// customer's future transactions given x repeat transactions of mean m — a
// weighted average of the population mean pv/(q-1) and the customer's own m:
//
//	E[Z|x,m] = (q-1)/(px+q-1) · pv/(q-1) + px/(px+q-1) · m = p(v + x·m)/(px+q-1)
//
// For x = 0 it is the population mean pv/(q-1) (requires q > 1).
func (g GammaGamma) ConditionalExpectedAverageProfit(x, m float64) float64 {
	return g.P * (g.V + x*m) / (g.P*x + g.Q - 1)
}

// FitGammaGamma estimates (p, q, v) by maximum likelihood over the customers
// with Frequency > 0 and Monetary > 0 (the model's support; one-time buyers
// carry no repeat-spend information), starting from p = q = v = 1 as
// lifetimes does. It returns how many customers were used in stats.
func FitGammaGamma(rows []Summary) (GammaGamma, FitStats, int, error) {
	return fitGammaGamma(RowsOf(rows))
}

func fitGammaGamma(rows Rows) (GammaGamma, FitStats, int, error) {
	// Counted first, so the two columns are the only copy (a million
	// customers' rows go through here in the metric job).
	n := 0
	for i := range rows.N {
		s := rows.At(i)
		if s.Frequency <= 0 {
			continue
		}
		if !(s.Monetary >= 0) || math.IsInf(s.Monetary, 0) {
			return GammaGamma{}, FitStats{}, 0, fmt.Errorf("summary row %d (customer %q): monetary value %v must be a non-negative number", i, s.CustomerID, s.Monetary)
		}
		// ln m is -∞ at m = 0: such customers lie outside the Gamma support
		// and are left out, as lifetimes requires m > 0.
		if s.Monetary > 0 {
			n++
		}
	}
	if n < 2 {
		return GammaGamma{}, FitStats{}, n, fmt.Errorf("Gamma-Gamma fit needs at least 2 customers with repeat purchases of positive value, got %d", n)
	}
	xs, ms := make([]float64, 0, n), make([]float64, 0, n)
	for i := range rows.N {
		if s := rows.At(i); s.Frequency > 0 && s.Monetary > 0 {
			xs, ms = append(xs, s.Frequency), append(ms, s.Monetary)
		}
	}
	eval := newGammaGammaEvaluator(xs, ms).eval
	p, stats, err := maximizeLogParams(eval, []float64{1, 1, 1}, float64(n))
	if err != nil {
		return GammaGamma{}, stats, n, fmt.Errorf("Gamma-Gamma: %w", err)
	}
	g := GammaGamma{P: p[0], Q: p[1], V: p[2]}
	if g.Q <= 1 {
		return g, stats, n, errors.New("Gamma-Gamma fit gave q <= 1: the population mean spend pv/(q-1) is infinite; the spend data are too heavy-tailed for this model")
	}
	return g, stats, n, nil
}
