package clv

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// The fits evaluate the log-likelihood and its gradient over all customers
// at every optimiser step. The special-function terms (lnΓ, ψ) depend on a
// customer only through x, and x takes few distinct values, so these
// evaluators compute them once per distinct x per step and leave only
// logarithms of t_x, T (or x·m + v) per customer. The results equal the
// per-customer formulas of BGNBD.customerLogLikelihood and
// GammaGamma.customerLogLikelihood (checked by the tests).

// xIndexed maps each distinct frequency to a slot, so per-x terms live in
// slices rather than maps.
type xIndexed struct {
	xs   []float64 // distinct x values
	slot []int     // slot of each row
}

func indexByX(xs []float64) xIndexed {
	seen := make(map[float64]int)
	idx := xIndexed{slot: make([]int, len(xs))}
	for i, x := range xs {
		j, ok := seen[x]
		if !ok {
			j = len(idx.xs)
			seen[x] = j
			idx.xs = append(idx.xs, x)
		}
		idx.slot[i] = j
	}
	return idx
}

// bgnbdEvaluator computes the total BG/NBD log-likelihood and gradient over
// weighted rows.
type bgnbdEvaluator struct {
	rows []weightedRFM
	byX  xIndexed
	// per-x scratch: A1+A2 and the ψ parts of ∂/∂r, ∂/∂a, ∂/∂b.
	base, dr, da, db []float64
}

func newBGNBDEvaluator(rows []weightedRFM) *bgnbdEvaluator {
	xs := make([]float64, len(rows))
	for i, r := range rows {
		xs[i] = r.x
	}
	e := &bgnbdEvaluator{rows: rows, byX: indexByX(xs)}
	n := len(e.byX.xs)
	e.base, e.dr, e.da, e.db = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	return e
}

// eval returns Σ w·ln L at p = (r, α, a, b) and writes Σ w·∇ln L into grad.
func (e *bgnbdEvaluator) eval(p, grad []float64) float64 {
	r, alpha, a, b := p[0], p[1], p[2], p[3]
	lgR, _ := math.Lgamma(r)
	lgAB, _ := math.Lgamma(a + b)
	lgB, _ := math.Lgamma(b)
	psiR, psiAB, psiB := mathext.Digamma(r), mathext.Digamma(a+b), mathext.Digamma(b)
	lnAlpha, lnA := math.Log(alpha), math.Log(a)
	for j, x := range e.byX.xs {
		lgRX, _ := math.Lgamma(r + x)
		lgBX, _ := math.Lgamma(b + x)
		lgABX, _ := math.Lgamma(a + b + x)
		e.base[j] = lgRX - lgR + r*lnAlpha + lgAB + lgBX - lgB - lgABX
		psiABX := mathext.Digamma(a + b + x)
		e.dr[j] = mathext.Digamma(r+x) - psiR + lnAlpha
		e.da[j] = psiAB - psiABX
		e.db[j] = psiAB + mathext.Digamma(b+x) - psiB - psiABX
	}
	var ll, gr, gAlpha, ga, gb float64
	for i, row := range e.rows {
		j := e.byX.slot[i]
		x, w := row.x, row.weight
		lnAT := math.Log(alpha + row.T)
		A3 := -(r + x) * lnAT
		l := e.base[j]
		var lnATx, lnBX1 float64
		if x > 0 {
			lnATx = math.Log(alpha + row.tx)
			lnBX1 = math.Log(b + x - 1)
		}
		mix, w1, w2 := logMix(A3, lnA-lnBX1-(r+x)*lnATx, x > 0)
		l += mix
		ll += w * l
		if grad == nil {
			continue
		}
		dr := e.dr[j] - w1*lnAT
		dAlpha := r/alpha - (r+x)*w1/(alpha+row.T)
		da, db := e.da[j], e.db[j]
		if x > 0 {
			dr -= w2 * lnATx
			dAlpha -= (r + x) * w2 / (alpha + row.tx)
			da += w2 / a
			db -= w2 / (b + x - 1)
		}
		gr += w * dr
		gAlpha += w * dAlpha
		ga += w * da
		gb += w * db
	}
	if grad != nil {
		grad[0], grad[1], grad[2], grad[3] = gr, gAlpha, ga, gb
	}
	return ll
}

// gammaGammaEvaluator computes the total Gamma-Gamma log-likelihood and
// gradient; ln m and ln x are fixed per customer and precomputed.
type gammaGammaEvaluator struct {
	x, m, lnM, lnX []float64
	byX            xIndexed
	lgPXQminusPX   []float64 // per x: lnΓ(px+q) - lnΓ(px)
	psiPXQ, psiPX  []float64
}

func newGammaGammaEvaluator(x, m []float64) *gammaGammaEvaluator {
	e := &gammaGammaEvaluator{x: x, m: m, lnM: make([]float64, len(m)), lnX: make([]float64, len(x)), byX: indexByX(x)}
	for i := range x {
		e.lnM[i], e.lnX[i] = math.Log(m[i]), math.Log(x[i])
	}
	n := len(e.byX.xs)
	e.lgPXQminusPX, e.psiPXQ, e.psiPX = make([]float64, n), make([]float64, n), make([]float64, n)
	return e
}

func (e *gammaGammaEvaluator) eval(params, grad []float64) float64 {
	p, q, v := params[0], params[1], params[2]
	lgQ, _ := math.Lgamma(q)
	psiQ, lnV := mathext.Digamma(q), math.Log(v)
	for j, x := range e.byX.xs {
		lgPXQ, _ := math.Lgamma(p*x + q)
		lgPX, _ := math.Lgamma(p * x)
		e.lgPXQminusPX[j] = lgPXQ - lgPX
		e.psiPXQ[j], e.psiPX[j] = mathext.Digamma(p*x+q), mathext.Digamma(p*x)
	}
	var ll, gp, gq, gv float64
	for i, x := range e.x {
		j := e.byX.slot[i]
		px := p * x
		xmv := x*e.m[i] + v
		lnXMV := math.Log(xmv)
		ll += e.lgPXQminusPX[j] - lgQ + q*lnV + (px-1)*e.lnM[i] + px*e.lnX[i] - (px+q)*lnXMV
		if grad != nil {
			gp += x * (e.psiPXQ[j] - e.psiPX[j] + e.lnM[i] + e.lnX[i] - lnXMV)
			gq += e.psiPXQ[j] - psiQ + lnV - lnXMV
			gv += q/v - (px+q)/xmv
		}
	}
	if grad != nil {
		grad[0], grad[1], grad[2] = gp, gq, gv
	}
	return ll
}

// logMix returns log(exp(a3)+exp(a4)) without overflow and the shares of
// the two terms, w1 of a3 and w2 = logistic(a4 - a3) of a4 (stable for large
// gaps); without the second term (a customer with no repeat purchase) it is
// a3 alone.
func logMix(a3, a4 float64, both bool) (l, w1, w2 float64) {
	if !both {
		return a3, 1, 0
	}
	hi, lo := max(a3, a4), min(a3, a4)
	w2 = 1 / (1 + math.Exp(a3-a4))
	return hi + math.Log1p(math.Exp(lo-hi)), 1 - w2, w2
}
