package clv

import (
	"math"
	"os"
	"testing"
	"time"
)

// week is the time unit of the published CDNOW analyses.
const week = 7 * 24 * time.Hour

// cdnowCalibrationEnd is the end of the 39-week calibration period used by
// Fader, Hardie & Lee (2005).
var cdnowCalibrationEnd = time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC)

// The public CDNOW files shipped in testdata, so the checks against the
// published estimates run on every checkout: the 1/10 sample of the BG/NBD
// paper (6,919 orders, 2,357 customers) and the full panel (69,659 orders,
// 23,570 customers), gzipped (405 KB instead of 1.9 MB).
const (
	cdnowSample   = "testdata/CDNOW_sample.txt"
	cdnowMasterGz = "testdata/CDNOW_master.txt.gz"
)

// openTestdata opens the file at path, failing tb if it cannot, and closes
// it when the test ends.
func openTestdata(tb testing.TB, path string) *os.File {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

// cdnowSampleSummaries reads the CDNOW sample and summarises it over the
// calibration period in weeks.
func cdnowSampleSummaries(tb testing.TB) []Summary {
	tb.Helper()
	orders, err := readTransactions(openTestdata(tb, cdnowSample), FormatCDNOW)
	if err != nil {
		tb.Fatal(err)
	}
	rows, err := summarize(orders, cdnowCalibrationEnd, week)
	if err != nil {
		tb.Fatal(err)
	}
	return rows
}

// assertSig3 checks that got equals want to three significant digits, i.e.
// rounding got to the precision of the published value gives that value.
func assertSig3(t *testing.T, name string, got, want float64) {
	t.Helper()
	digits := 3 - int(math.Floor(math.Log10(math.Abs(want)))) - 1
	scale := math.Pow(10, float64(digits))
	if math.Round(got*scale)/scale != math.Round(want*scale)/scale {
		t.Errorf("%s = %.6g, want %.4g to three significant digits", name, got, want)
	}
}

func TestFitBGNBDReproducesCDNOWPublishedEstimates(t *testing.T) {
	rows := cdnowSampleSummaries(t)
	if len(rows) != 2357 {
		t.Fatalf("got %d customers in the calibration period, want 2357", len(rows))
	}
	m, stats, err := FitBGNBD(rows)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("r=%.6f alpha=%.6f a=%.6f b=%.6f LL=%.4f iterations=%d evaluations=%d status=%s",
		m.R, m.Alpha, m.A, m.B, stats.LogLikelihood, stats.Iterations, stats.Evaluations, stats.Status)
	assertSig3(t, "r", m.R, 0.243)
	assertSig3(t, "alpha", m.Alpha, 4.414)
	assertSig3(t, "a", m.A, 0.793)
	assertSig3(t, "b", m.B, 2.426)
	if math.Abs(stats.LogLikelihood-(-9582.4)) > 0.05 {
		t.Errorf("log-likelihood = %.4f, want -9582.4", stats.LogLikelihood)
	}
	if ll := m.LogLikelihood(rows); math.Abs(ll-stats.LogLikelihood) > 1e-6 {
		t.Errorf("LogLikelihood(rows) = %.6f disagrees with the grouped fit value %.6f", ll, stats.LogLikelihood)
	}
}

func TestFitGammaGammaReproducesCDNOWPublishedEstimates(t *testing.T) {
	rows := cdnowSampleSummaries(t)
	g, stats, used, err := FitGammaGamma(rows)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("p=%.6f q=%.6f v=%.6f LL=%.4f customers=%d iterations=%d status=%s", g.P, g.Q, g.V, stats.LogLikelihood, used, stats.Iterations, stats.Status)
	if used != 946 {
		t.Errorf("used %d repeat customers, want the published 946", used)
	}
	assertSig3(t, "p", g.P, 6.25)
	assertSig3(t, "q", g.Q, 3.74)
	assertSig3(t, "v", g.V, 15.44)
}
