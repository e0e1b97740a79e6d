package clv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// simulateCustomers draws n customers from the BG/NBD and Gamma-Gamma
// generative stories with a seeded RNG. Customers are acquired uniformly over
// the first 12 weeks of a 52-week calibration period, so T ∈ [40, 52].
//
//   - λ ~ Gamma(r, rate α), p ~ Beta(a, b); repeat purchases follow a Poisson
//     process with rate λ, and after each repeat purchase the customer drops
//     out with probability p (FHL 2005, assumptions i-v);
//   - ν ~ Gamma(q, rate v); each repeat purchase value ~ Gamma(p_gg, rate ν);
//     Monetary is their mean.
func simulateCustomers(n int, bg BGNBD, gg GammaGamma, seed uint64) []Summary {
	src := rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
	rng := rand.New(src)
	lambdaDist := distuv.Gamma{Alpha: bg.R, Beta: bg.Alpha, Src: src}
	dropDist := distuv.Beta{Alpha: bg.A, Beta: bg.B, Src: src}
	nuDist := distuv.Gamma{Alpha: gg.Q, Beta: gg.V, Src: src}
	rows := make([]Summary, n)
	for i := range rows {
		T := 40 + 12*rng.Float64()
		lambda, p, nu := lambdaDist.Rand(), dropDist.Rand(), nuDist.Rand()
		spend := distuv.Gamma{Alpha: gg.P, Beta: nu, Src: src}
		var x, tx, total, t float64
		for {
			t += rng.ExpFloat64() / lambda
			if t > T {
				break
			}
			x++
			tx = t
			total += spend.Rand()
			if rng.Float64() < p {
				break
			}
		}
		rows[i] = Summary{CustomerID: fmt.Sprint(i), Frequency: x, Recency: tx, T: T}
		if x > 0 {
			rows[i].Monetary = total / x
		}
	}
	return rows
}

// standardErrors returns sqrt(diag(I⁻¹)) with I the observed information
// (minus the Hessian of the total log-likelihood), the Hessian taken by
// central differences of the analytic gradient.
func standardErrors(t *testing.T, params []float64, grad func(p, g []float64)) []float64 {
	t.Helper()
	k := len(params)
	h := mat.NewSymDense(k, nil)
	gUp, gDown := make([]float64, k), make([]float64, k)
	for j := range params {
		step := 1e-5 * params[j]
		up := append([]float64(nil), params...)
		down := append([]float64(nil), params...)
		up[j] += step
		down[j] -= step
		grad(up, gUp)
		grad(down, gDown)
		for i := 0; i <= j; i++ {
			h.SetSym(i, j, -(gUp[i]-gDown[i])/(2*step))
		}
	}
	var cov mat.Dense
	if err := cov.Inverse(h); err != nil {
		t.Fatalf("observed information is singular: %v", err)
	}
	se := make([]float64, k)
	for i := range se {
		se[i] = math.Sqrt(cov.At(i, i))
	}
	return se
}

// TestFitRecoversSimulatedParameters simulates 20,000 customers from known
// parameters and checks that each estimate lies within 4 standard errors of
// the truth. The standard errors come from the observed information at the
// estimate, so the tolerance is what the sample size supports rather than a
// guessed percentage: a correct MLE misses a 4-SE band with probability about
// 6e-5 per parameter, and the seed is fixed so the test is deterministic. A
// 25% relative bound on top guards against the band itself being uselessly
// wide.
func TestFitRecoversSimulatedParameters(t *testing.T) {
	trueBG := BGNBD{R: 0.3, Alpha: 5, A: 0.8, B: 2.5}
	trueGG := GammaGamma{P: 5, Q: 4, V: 20}
	rows := simulateCustomers(20000, trueBG, trueGG, 42)

	bg, _, err := FitBGNBD(rows)
	if err != nil {
		t.Fatal(err)
	}
	bgSE := standardErrors(t, []float64{bg.R, bg.Alpha, bg.A, bg.B}, func(p, g []float64) {
		m := BGNBD{p[0], p[1], p[2], p[3]}
		clear(g)
		for _, s := range rows {
			_, d := m.customerLogLikelihood(s.Frequency, s.Recency, s.T, true)
			for i := range d {
				g[i] += d[i]
			}
		}
	})
	gg, _, _, err := FitGammaGamma(rows)
	if err != nil {
		t.Fatal(err)
	}
	ggSE := standardErrors(t, []float64{gg.P, gg.Q, gg.V}, func(p, g []float64) {
		m := GammaGamma{p[0], p[1], p[2]}
		clear(g)
		for _, s := range rows {
			if s.Frequency > 0 {
				_, d := m.customerLogLikelihood(s.Frequency, s.Monetary, true)
				for i := range d {
					g[i] += d[i]
				}
			}
		}
	})
	cases := []struct {
		name          string
		got, want, se float64
	}{
		{"r", bg.R, trueBG.R, bgSE[0]},
		{"alpha", bg.Alpha, trueBG.Alpha, bgSE[1]},
		{"a", bg.A, trueBG.A, bgSE[2]},
		{"b", bg.B, trueBG.B, bgSE[3]},
		{"p", gg.P, trueGG.P, ggSE[0]},
		{"q", gg.Q, trueGG.Q, ggSE[1]},
		{"v", gg.V, trueGG.V, ggSE[2]},
	}
	for _, c := range cases {
		t.Logf("%-5s true %.4f fitted %.4f SE %.4f (%.2f SE off)", c.name, c.want, c.got, c.se, math.Abs(c.got-c.want)/c.se)
		if math.Abs(c.got-c.want) > 4*c.se {
			t.Errorf("%s = %.4f, more than 4 SE (%.4f) from the true %.4f", c.name, c.got, c.se, c.want)
		}
		if math.Abs(c.got-c.want) > 0.25*c.want {
			t.Errorf("%s = %.4f, more than 25%% from the true %.4f", c.name, c.got, c.want)
		}
	}
}
