package clv

import (
	"fmt"
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

// Validate reports parameters outside the model's domain (all must be
// positive and finite).
func (m BGNBD) Validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"r", m.R}, {"alpha", m.Alpha}, {"a", m.A}, {"b", m.B}} {
		if !(f.v > 0) || math.IsInf(f.v, 0) {
			return fmt.Errorf("BG/NBD parameter %s = %v must be positive and finite", f.name, f.v)
		}
	}
	return nil
}

// CustomerLogLikelihood is the log of the individual likelihood (FHL 2005,
// eq. 6) of a customer with x repeat purchases, recency t_x and age T:
//
//	L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
//	  + δ(x>0) · B(a+1, b+x-1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))
//
// computed in logs as
//
//	ln L = A1 + A2 + ln(exp(A3) + δ(x>0) exp(A4))
//	A1 = lnΓ(r+x) - lnΓ(r) + r ln α
//	A2 = lnΓ(a+b) + lnΓ(b+x) - lnΓ(b) - lnΓ(a+b+x)
//	A3 = -(r+x) ln(α+T)
//	A4 = ln a - ln(b+x-1) - (r+x) ln(α+t_x)
func (m BGNBD) CustomerLogLikelihood(x, tx, T float64) float64 {
	ll, _ := m.customerLogLikelihood(x, tx, T, false)
	return ll
}

// LogLikelihood is the total (not mean) log-likelihood of the summaries.
func (m BGNBD) LogLikelihood(rows []Summary) float64 {
	var sum float64
	for _, s := range rows {
		sum += m.CustomerLogLikelihood(s.Frequency, s.Recency, s.T)
	}
	return sum
}

// customerLogLikelihood returns ln L and, when withGrad is set, its gradient
// with respect to (r, α, a, b). With w1 = exp(A3)/(exp(A3)+exp(A4)) and
// w2 = 1 - w1 (w2 = 0 when x = 0), ψ the digamma function:
//
//	∂/∂r = ψ(r+x) - ψ(r) + ln α - w1 ln(α+T) - w2 ln(α+t_x)
//	∂/∂α = r/α - (r+x) (w1/(α+T) + w2/(α+t_x))
//	∂/∂a = ψ(a+b) - ψ(a+b+x) + w2/a
//	∂/∂b = ψ(a+b) + ψ(b+x) - ψ(b) - ψ(a+b+x) - w2/(b+x-1)
func (m BGNBD) customerLogLikelihood(x, tx, T float64, withGrad bool) (float64, [4]float64) {
	r, alpha, a, b := m.R, m.Alpha, m.A, m.B
	lgRX, _ := math.Lgamma(r + x)
	lgR, _ := math.Lgamma(r)
	lgAB, _ := math.Lgamma(a + b)
	lgBX, _ := math.Lgamma(b + x)
	lgB, _ := math.Lgamma(b)
	lgABX, _ := math.Lgamma(a + b + x)
	A1 := lgRX - lgR + r*math.Log(alpha)
	A2 := lgAB + lgBX - lgB - lgABX
	A3 := -(r + x) * math.Log(alpha+T)
	ll := A1 + A2
	w1, w2 := 1.0, 0.0
	if x > 0 {
		A4 := math.Log(a) - math.Log(b+x-1) - (r+x)*math.Log(alpha+tx)
		hi, lo := max(A3, A4), min(A3, A4)
		ll += hi + math.Log1p(math.Exp(lo-hi))
		// w2 = exp(A4)/(exp(A3)+exp(A4)) = logistic(A4 - A3), stable for large gaps.
		w2 = 1 / (1 + math.Exp(A3-A4))
		w1 = 1 - w2
	} else {
		ll += A3
	}
	var g [4]float64
	if !withGrad {
		return ll, g
	}
	psiAB := mathext.Digamma(a + b)
	psiABX := mathext.Digamma(a + b + x)
	g[0] = mathext.Digamma(r+x) - mathext.Digamma(r) + math.Log(alpha) - w1*math.Log(alpha+T)
	g[1] = r/alpha - (r+x)*w1/(alpha+T)
	g[2] = psiAB - psiABX
	g[3] = psiAB + mathext.Digamma(b+x) - mathext.Digamma(b) - psiABX
	if x > 0 {
		g[0] -= w2 * math.Log(alpha+tx)
		g[1] -= (r + x) * w2 / (alpha + tx)
		g[2] += w2 / a
		g[3] -= w2 / (b + x - 1)
	}
	return ll, g
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

// ExpectedPurchases is E[X(t)], the expected number of purchases in a period
// of length t of a customer picked at random at time 0 (FHL 2005, eq. 7):
//
//	E[X(t)] = (a+b-1)/(a-1) · [1 - (α/(α+t))^r · 2F1(r, b; a+b-1; t/(α+t))]
func (m BGNBD) ExpectedPurchases(t float64) float64 {
	if t <= 0 {
		return 0
	}
	hyp := hyp2f1(m.R, m.B, m.A+m.B-1, t/(m.Alpha+t))
	return (m.A + m.B - 1) / (m.A - 1) * (1 - math.Exp(m.R*math.Log(m.Alpha/(m.Alpha+t)))*hyp)
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
