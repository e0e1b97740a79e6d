package clv

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// The per-customer likelihoods and the unconditional expectation, written out
// formula by formula. The fits use the grouped, vectorised forms
// (fast_loglik.go); the tests check those and the gradients against these.

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
	A4 := 0.0 // only a repeat buyer (x > 0) has the second term
	if x > 0 {
		A4 = math.Log(a) - math.Log(b+x-1) - (r+x)*math.Log(alpha+tx)
	}
	mix, w1, w2 := logMix(A3, A4, x > 0)
	ll += mix
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

// CustomerLogLikelihood is the log-likelihood of a customer's mean transaction
// value m over x repeat transactions (x > 0):
//
//	ln L = lnΓ(px+q) - lnΓ(px) - lnΓ(q) + q ln v + (px-1) ln m + px ln x
//	       - (px+q) ln(x·m + v)
func (g GammaGamma) CustomerLogLikelihood(x, m float64) float64 {
	ll, _ := g.customerLogLikelihood(x, m, false)
	return ll
}

// customerLogLikelihood also returns the gradient with respect to (p, q, v):
//
//	∂/∂p = x [ψ(px+q) - ψ(px) + ln m + ln x - ln(x·m+v)]
//	∂/∂q = ψ(px+q) - ψ(q) + ln v - ln(x·m+v)
//	∂/∂v = q/v - (px+q)/(x·m+v)
func (g GammaGamma) customerLogLikelihood(x, m float64, withGrad bool) (float64, [3]float64) {
	p, q, v := g.P, g.Q, g.V
	px := p * x
	lgPXQ, _ := math.Lgamma(px + q)
	lgPX, _ := math.Lgamma(px)
	lgQ, _ := math.Lgamma(q)
	lnXMV := math.Log(x*m + v)
	ll := lgPXQ - lgPX - lgQ + q*math.Log(v) + (px-1)*math.Log(m) + px*math.Log(x) - (px+q)*lnXMV
	var grad [3]float64
	if withGrad {
		psiPXQ := mathext.Digamma(px + q)
		grad[0] = x * (psiPXQ - mathext.Digamma(px) + math.Log(m) + math.Log(x) - lnXMV)
		grad[1] = psiPXQ - mathext.Digamma(q) + math.Log(v) - lnXMV
		grad[2] = q/v - (px+q)/(x*m+v)
	}
	return ll, grad
}
