package clv

import (
	"math"
	"testing"
)

// cdnowFit fits both models on the CDNOW sample (calibration to 1997-09-30, weeks).
func cdnowFit(t *testing.T) (BGNBD, GammaGamma) {
	t.Helper()
	rows := cdnowSampleSummaries(t)
	bg, _, err := FitBGNBD(rows)
	if err != nil {
		t.Fatal(err)
	}
	gg, _, _, err := FitGammaGamma(rows)
	if err != nil {
		t.Fatal(err)
	}
	return bg, gg
}

// The expected values below are from Bruce Hardie's BG/NBD Excel workbook for
// the CDNOW sample, the same figures lifetimes tests against.
func TestBGNBDExpectationsMatchHardieSpreadsheet(t *testing.T) {
	bg, _ := cdnowFit(t)
	for _, tc := range []struct{ t, want float64 }{
		{0.1429, 0.0078}, {1, 0.0532}, {3, 0.1506}, {31.8571, 1.0405}, {32, 1.0437}, {78, 1.8576},
	} {
		if got := bg.ExpectedPurchases(tc.t); math.Abs(got-tc.want) > 5e-4 {
			t.Errorf("ExpectedPurchases(%v) = %.5f, want %.4f", tc.t, got, tc.want)
		}
	}
	// Customer 1 of the sample: 2 repeat purchases, t_x = 30.43, T = 38.86 weeks.
	if got := bg.ConditionalExpectedPurchases(39, 2, 30.43, 38.86); math.Abs(got-1.226) > 5e-4 {
		t.Errorf("ConditionalExpectedPurchases(39 | 2, 30.43, 38.86) = %.5f, want 1.226", got)
	}
}

func TestConditionalExpectationOfNewCustomerEqualsUnconditional(t *testing.T) {
	// With x = t_x = T = 0 eq. 10 reduces to eq. 7: nothing is known yet.
	m := BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	for _, tt := range []float64{0.5, 10, 52, 200} {
		got, want := m.ConditionalExpectedPurchases(tt, 0, 0, 0), m.ExpectedPurchases(tt)
		if math.Abs(got-want) > 1e-9*max(1, want) {
			t.Errorf("t=%v: conditional %.12f != unconditional %.12f", tt, got, want)
		}
	}
}

func TestProbabilityAlive(t *testing.T) {
	m := BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	// Hand computation for x=2, t_x=30.43, T=38.86:
	// a/(b+x-1) = 0.793/3.426 = 0.231465; ((α+T)/(α+t_x))^(r+x) = (43.274/34.844)^2.243
	// = 1.241935^2.243 = 1.62583; P = 1/(1 + 0.231465·1.62583) = 0.726589.
	cases := []struct {
		name      string
		x, tx, T  float64
		want, tol float64
	}{
		{"never repeated", 0, 0, 38.86, 1, 0},
		{"customer 1", 2, 30.43, 38.86, 0.72659, 5e-5},
		{"bought on the last day", 5, 20, 20, 1 / (1 + 0.793/(2.426+4)), 1e-12},
	}
	for _, tc := range cases {
		if got := m.ProbabilityAlive(tc.x, tc.tx, tc.T); math.Abs(got-tc.want) > tc.tol {
			t.Errorf("%s: P(alive) = %.6f, want %.6f", tc.name, got, tc.want)
		}
	}
	// A long silence after frequent buying makes the customer look gone.
	if p := m.ProbabilityAlive(10, 5, 60); p > 0.01 {
		t.Errorf("P(alive | 10 purchases, silent for 55 weeks) = %v, want < 0.01", p)
	}
}

func TestGammaGammaConditionalExpectedAverageProfit(t *testing.T) {
	g := GammaGamma{P: 6.25, Q: 3.74, V: 15.44}
	// x=2, m=22.35: 6.25·(15.44 + 44.70)/(12.5 + 2.74) = 375.875/15.24 = 24.66371
	// x=0: population mean pv/(q-1) = 96.5/2.74 = 35.21898
	for _, tc := range []struct{ x, m, want float64 }{{2, 22.35, 24.66371}, {0, 0, 35.21898}, {1, 11.77, 6.25 * (15.44 + 11.77) / (6.25 + 2.74)}} {
		if got := g.ConditionalExpectedAverageProfit(tc.x, tc.m); math.Abs(got-tc.want) > 1e-4 {
			t.Errorf("E[Z | x=%v, m=%v] = %.5f, want %.5f", tc.x, tc.m, got, tc.want)
		}
	}
}

// lifetimes' README prints customer_lifetime_value(time=12,
// discount_rate=0.01) for the first CDNOW sample customers with its default
// freq="D", i.e. 30 model units (weeks here) per "month": 140.096218,
// 18.943466, 38.180575. Our parameters come from the unrounded summaries, so
// agreement is to within a few cents.
func TestLifetimeValueMatchesLifetimesOnCDNOW(t *testing.T) {
	bg, gg := cdnowFit(t)
	for _, tc := range []struct {
		s    Summary
		want float64
	}{
		{Summary{Frequency: 2, Recency: 30.43, T: 38.86, Monetary: 22.35}, 140.096218},
		{Summary{Frequency: 1, Recency: 1.71, T: 38.86, Monetary: 11.77}, 18.943466},
		{Summary{Frequency: 0, Recency: 0, T: 38.86, Monetary: 0}, 38.180575},
	} {
		got, err := LifetimeValue(bg, gg, tc.s, 12, 0.01, 30)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-tc.want) > 0.05 {
			t.Errorf("CLV(%+v) = %.6f, want %.6f", tc.s, got, tc.want)
		}
	}
}

func TestLifetimeValueHandComputedOneMonth(t *testing.T) {
	// One month: CLV = E[Z] · E[Y(f)] / (1+d); for x = 0, t_x = 0, T = 0 E[Y]
	// is the unconditional E[X(f)].
	bg := BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	gg := GammaGamma{P: 6.25, Q: 3.74, V: 15.44}
	got, err := LifetimeValue(bg, gg, Summary{}, 1, 0.01, 4.345)
	if err != nil {
		t.Fatal(err)
	}
	want := 35.21898 * bg.ExpectedPurchases(4.345) / 1.01
	if math.Abs(got-want) > 1e-4 {
		t.Errorf("one-month CLV = %.6f, want %.6f", got, want)
	}
	for _, bad := range []struct {
		months    int
		d, perMon float64
	}{{-1, 0.01, 30}, {12, -1, 30}, {12, 0.01, 0}} {
		if _, err := LifetimeValue(bg, gg, Summary{}, bad.months, bad.d, bad.perMon); err == nil {
			t.Errorf("LifetimeValue(months=%d, d=%v, f=%v) accepted invalid input", bad.months, bad.d, bad.perMon)
		}
	}
}

func TestLogLikelihoodGradientMatchesFiniteDifferences(t *testing.T) {
	m := BGNBD{R: 0.5, Alpha: 3, A: 1.2, B: 2.5}
	for _, c := range [][3]float64{{0, 0, 20}, {3, 12.5, 30}, {1, 0.5, 2}} {
		_, g := m.customerLogLikelihood(c[0], c[1], c[2], true)
		p := []float64{m.R, m.Alpha, m.A, m.B}
		for i := range p {
			h := 1e-6 * p[i]
			up, down := append([]float64(nil), p...), append([]float64(nil), p...)
			up[i] += h
			down[i] -= h
			fu := BGNBD{up[0], up[1], up[2], up[3]}.CustomerLogLikelihood(c[0], c[1], c[2])
			fd := BGNBD{down[0], down[1], down[2], down[3]}.CustomerLogLikelihood(c[0], c[1], c[2])
			if num := (fu - fd) / (2 * h); math.Abs(num-g[i]) > 1e-5*max(1, math.Abs(num)) {
				t.Errorf("BG/NBD x=%v: d/dparam%d analytic %.8f, numeric %.8f", c[0], i, g[i], num)
			}
		}
	}
	gg := GammaGamma{P: 4, Q: 3, V: 10}
	for _, c := range [][2]float64{{1, 20}, {5, 3.5}} {
		_, g := gg.customerLogLikelihood(c[0], c[1], true)
		p := []float64{gg.P, gg.Q, gg.V}
		for i := range p {
			h := 1e-6 * p[i]
			up, down := append([]float64(nil), p...), append([]float64(nil), p...)
			up[i] += h
			down[i] -= h
			fu := GammaGamma{up[0], up[1], up[2]}.CustomerLogLikelihood(c[0], c[1])
			fd := GammaGamma{down[0], down[1], down[2]}.CustomerLogLikelihood(c[0], c[1])
			if num := (fu - fd) / (2 * h); math.Abs(num-g[i]) > 1e-5*max(1, math.Abs(num)) {
				t.Errorf("Gamma-Gamma x=%v: d/dparam%d analytic %.8f, numeric %.8f", c[0], i, g[i], num)
			}
		}
	}
}

// The fast evaluators used by the fits must agree with the per-customer
// reference formulas, value and gradient.
func TestFastEvaluatorsMatchPerCustomerFormulas(t *testing.T) {
	rows := []weightedRFM{{0, 0, 20, 3}, {3, 12.5, 30, 1}, {1, 0.5, 2, 2}, {3, 7, 31, 1}}
	p := []float64{0.5, 3, 1.2, 2.5}
	m := BGNBD{p[0], p[1], p[2], p[3]}
	var wantLL float64
	var wantGrad [4]float64
	for _, r := range rows {
		l, g := m.customerLogLikelihood(r.x, r.tx, r.T, true)
		wantLL += r.weight * l
		for i := range g {
			wantGrad[i] += r.weight * g[i]
		}
	}
	grad := make([]float64, 4)
	gotLL := newBGNBDEvaluator(rows).eval(p, grad)
	if math.Abs(gotLL-wantLL) > 1e-10*math.Abs(wantLL) {
		t.Errorf("BG/NBD fast LL %.12f, reference %.12f", gotLL, wantLL)
	}
	for i := range grad {
		if math.Abs(grad[i]-wantGrad[i]) > 1e-10*max(1, math.Abs(wantGrad[i])) {
			t.Errorf("BG/NBD fast grad[%d] %.12f, reference %.12f", i, grad[i], wantGrad[i])
		}
	}

	xs, ms := []float64{1, 5, 1, 2}, []float64{20, 3.5, 7, 40}
	gg := GammaGamma{4, 3, 10}
	var ggLL float64
	var ggGrad [3]float64
	for i := range xs {
		l, g := gg.customerLogLikelihood(xs[i], ms[i], true)
		ggLL += l
		for k := range g {
			ggGrad[k] += g[k]
		}
	}
	grad = grad[:3]
	gotLL = newGammaGammaEvaluator(xs, ms).eval([]float64{4, 3, 10}, grad)
	if math.Abs(gotLL-ggLL) > 1e-10*math.Abs(ggLL) {
		t.Errorf("Gamma-Gamma fast LL %.12f, reference %.12f", gotLL, ggLL)
	}
	for i := range grad {
		if math.Abs(grad[i]-ggGrad[i]) > 1e-10*max(1, math.Abs(ggGrad[i])) {
			t.Errorf("Gamma-Gamma fast grad[%d] %.12f, reference %.12f", i, grad[i], ggGrad[i])
		}
	}
}
