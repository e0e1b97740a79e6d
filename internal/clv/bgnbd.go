package clv

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// BGNBD holds the four parameters of the beta-geometric/negative-binomial
// distribution model of repeat buying (Fader, Hardie & Lee 2005, "Counting
// Your Customers the Easy Way"):
//
//   - while alive, a customer buys as a Poisson process with rate λ, and
//     λ ~ Gamma(shape r, rate α) across customers;
//   - after every purchase the customer drops out with probability p, and
//     p ~ Beta(a, b) across customers.
type BGNBD struct {
	R, Alpha, A, B float64
}

// ProbabilityAlive is P(alive | x, t_x, T) (FHL 2005, eq. 12):
//
//	P(alive) = 1 / (1 + δ(x>0) · a/(b+x-1) · ((α+T)/(α+t_x))^(r+x))
//
// A customer who never repeated is alive with probability 1 under the model,
// because drop-out can happen only right after a purchase.
func (m BGNBD) ProbabilityAlive(x, tx, T float64) float64 {
	if x == 0 {
		return 1
	}
	logRatio := math.Log(m.A) - math.Log(m.B+x-1) + (m.R+x)*(math.Log(m.Alpha+T)-math.Log(m.Alpha+tx))
	return 1 / (1 + math.Exp(logRatio))
}

// ConditionalExpectedPurchases is E[Y(t) | x, t_x, T], the expected number of
// purchases in the next t periods of a customer with history (x, t_x, T)
// (FHL 2005, eq. 10):
//
//	E[Y(t)|x,t_x,T] = (a+b+x-1)/(a-1)
//	                  · [1 - ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x-1; t/(α+T+t))]
//	                  / [1 + δ(x>0) · a/(b+x-1) · ((α+T)/(α+t_x))^(r+x)]
func (m BGNBD) ConditionalExpectedPurchases(t, x, tx, T float64) float64 {
	if t <= 0 {
		return 0
	}
	z := t / (m.Alpha + T + t)
	hyp := hyp2f1(m.R+x, m.B+x, m.A+m.B+x-1, z)
	num := (m.A + m.B + x - 1) / (m.A - 1) * (1 - math.Exp((m.R+x)*math.Log((m.Alpha+T)/(m.Alpha+T+t)))*hyp)
	den := 1.0
	if x > 0 {
		den += math.Exp(math.Log(m.A) - math.Log(m.B+x-1) + (m.R+x)*(math.Log(m.Alpha+T)-math.Log(m.Alpha+tx)))
	}
	return num / den
}

// hyp2f1 is the Gauss hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1.
// When the direct evaluation overflows (large a, b with z near 1) it uses
// Euler's transformation 2F1(a,b;c;z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z),
// as lifetimes does.
func hyp2f1(a, b, c, z float64) float64 {
	v := mathext.Hypergeo(a, b, c, z)
	if math.IsInf(v, 0) || math.IsNaN(v) {
		v = math.Exp((c-a-b)*math.Log1p(-z)) * mathext.Hypergeo(c-a, c-b, c, z)
	}
	return v
}
