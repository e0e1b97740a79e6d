package journey

import "math"

// VariantFigures are one variant's figures: sends counted from the delivery
// ledger, conversions among them (the playbook's goal reached after the
// send), the conversion rate with its 95% Wilson interval, and the Bayesian
// probability that this variant has the highest conversion rate of its step.
type VariantFigures struct {
	Step        string  `json:"step"`
	Name        string  `json:"name"`
	Sends       int64   `json:"sends"`
	Conversions int64   `json:"conversions"`
	Rate        float64 `json:"rate"`
	Low         float64 `json:"low"`
	High        float64 `json:"high"`
	// ProbabilityToBeBest under independent Beta(1+conversions,
	// 1+sends-conversions) posteriors (a uniform Beta(1,1) prior).
	ProbabilityToBeBest float64 `json:"probabilityToBeBest"`
}

// Wilson is the 95% Wilson score interval of conv successes in n trials.
// Unlike the Wald interval it stays inside [0, 1] and is honest at 0 or n
// conversions and at small n, which is where variants start. n = 0 gives
// [0, 1].
func Wilson(conv, n int64) (low, high float64) {
	if n <= 0 {
		return 0, 1
	}
	p, nf, z2 := float64(conv)/float64(n), float64(n), z975*z975
	denom := 1 + z2/nf
	centre := (p + z2/(2*nf)) / denom
	half := z975 * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf)) / denom
	return math.Max(0, centre-half), math.Min(1, centre+half)
}

// ComputeVariantFigures fills Rate, Low, High and ProbabilityToBeBest of one
// step's variants (Sends and Conversions set by the caller).
func ComputeVariantFigures(vs []VariantFigures) {
	conv, n := make([]int64, len(vs)), make([]int64, len(vs))
	for i := range vs {
		conv[i], n[i] = vs[i].Conversions, vs[i].Sends
		if n[i] > 0 {
			vs[i].Rate = float64(conv[i]) / float64(n[i])
		}
		vs[i].Low, vs[i].High = Wilson(conv[i], n[i])
	}
	for i, p := range ProbabilityToBeBest(conv, n) {
		vs[i].ProbabilityToBeBest = p
	}
}

// integrationSteps is the number of Simpson intervals per variant. Each
// integral runs over the variant's own posterior (mean ± 12 standard
// deviations), so the grid always resolves its peak: the result is accurate
// to far better than ±0.5% (the tests compare with exact values) and is the
// same on every run, unlike a Monte Carlo estimate.
const integrationSteps = 2000

// ProbabilityToBeBest returns, for each arm i with conv[i] conversions in
// n[i] trials, P(p_i > p_j for all j != i) under independent Beta(1+conv,
// 1+n-conv) posteriors: the integral over x of pdf_i(x) * prod_j cdf_j(x),
// computed by Simpson's rule.
func ProbabilityToBeBest(conv, n []int64) []float64 {
	k := len(conv)
	out := make([]float64, k)
	if k == 1 {
		out[0] = 1
		return out
	}
	a, b := make([]float64, k), make([]float64, k)
	for i := range conv {
		a[i], b[i] = float64(1+conv[i]), float64(1+n[i]-conv[i])
	}
	for i := 0; i < k; i++ {
		mean := a[i] / (a[i] + b[i])
		sd := math.Sqrt(a[i] * b[i] / ((a[i] + b[i]) * (a[i] + b[i]) * (a[i] + b[i] + 1)))
		lo, hi := math.Max(0, mean-12*sd), math.Min(1, mean+12*sd)
		h := (hi - lo) / integrationSteps
		sum := 0.0
		for s := 0; s <= integrationSteps; s++ {
			x := lo + float64(s)*h
			f := betaPDF(x, a[i], b[i])
			for j := 0; j < k && f > 0; j++ {
				if j != i {
					f *= betaCDF(x, a[j], b[j])
				}
			}
			switch {
			case s == 0 || s == integrationSteps:
				sum += f
			case s%2 == 1:
				sum += 4 * f
			default:
				sum += 2 * f
			}
		}
		out[i] = math.Min(1, math.Max(0, sum*h/3))
	}
	return out
}

func lbeta(a, b float64) float64 {
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	return la + lb - lab
}

func betaPDF(x, a, b float64) float64 {
	switch {
	case x < 0 || x > 1:
		return 0
	case x == 0:
		if a == 1 {
			return math.Exp(-lbeta(a, b))
		}
		return 0
	case x == 1:
		if b == 1 {
			return math.Exp(-lbeta(a, b))
		}
		return 0
	}
	return math.Exp((a-1)*math.Log(x) + (b-1)*math.Log1p(-x) - lbeta(a, b))
}

// betaCDF is the regularized incomplete beta function I_x(a, b), by the
// continued fraction (Numerical Recipes, betacf), using the symmetry
// I_x(a,b) = 1 - I_{1-x}(b,a) where the fraction converges faster.
func betaCDF(x, a, b float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	front := math.Exp(a*math.Log(x) + b*math.Log1p(-x) - lbeta(a, b))
	if x < (a+1)/(a+b+2) {
		return front * betaCF(x, a, b) / a
	}
	return 1 - front*betaCF(1-x, b, a)/b
}

// betaCFTiny stands in for a zero denominator in betaCF's modified Lentz
// steps.
const betaCFTiny = 1e-300

// lentzStep is one term aa of the modified Lentz evaluation of a continued
// fraction: the next c and d (d already inverted), with zeros replaced by
// betaCFTiny.
func lentzStep(aa, c, d float64) (float64, float64) {
	d = 1 + aa*d
	if math.Abs(d) < betaCFTiny {
		d = betaCFTiny
	}
	c = 1 + aa/c
	if math.Abs(c) < betaCFTiny {
		c = betaCFTiny
	}
	return c, 1 / d
}

func betaCF(x, a, b float64) float64 {
	const (
		maxIter = 100000
		eps     = 1e-14
	)
	qab, qap, qam := a+b, a+1, a-1
	c, d := 1.0, 1-qab*x/qap
	if math.Abs(d) < betaCFTiny {
		d = betaCFTiny
	}
	d = 1 / d
	h := d
	for m := 1; m <= maxIter; m++ {
		mf := float64(m)
		m2 := 2 * mf
		c, d = lentzStep(mf*(b-mf)*x/((qam+m2)*(a+m2)), c, d)
		h *= d * c
		c, d = lentzStep(-(a+mf)*(qab+mf)*x/((a+m2)*(qap+m2)), c, d)
		del := d * c
		h *= del
		if math.Abs(del-1) < eps {
			break
		}
	}
	return h
}

// Winner returns the variant to promote under rule, or "" when none may be
// promoted yet: every variant must have at least MinSamplePerVariant sends,
// and the best one's probability to be best must reach ProbabilityToBeBest.
// vs are one step's figures after ComputeVariantFigures.
func Winner(vs []VariantFigures, rule *Promote) string {
	if rule == nil || len(vs) < 2 {
		return ""
	}
	best := -1
	for i, v := range vs {
		if v.Sends < rule.MinSamplePerVariant {
			return ""
		}
		if best < 0 || v.ProbabilityToBeBest > vs[best].ProbabilityToBeBest {
			best = i
		}
	}
	if vs[best].ProbabilityToBeBest < rule.ProbabilityToBeBest {
		return ""
	}
	return vs[best].Name
}
