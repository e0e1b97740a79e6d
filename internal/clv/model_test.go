package clv

import (
	"errors"
	"io"
	"math"
	"testing"
)

func TestFitAndPredictOnCDNOWSample(t *testing.T) {
	// Stream the log through SummaryBuilder and check it agrees with the
	// in-memory summarize.
	tr, err := NewTransactionReader(openTestdata(t, cdnowSample), FormatCDNOW)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSummaryBuilder(cdnowCalibrationEnd, week)
	if err != nil {
		t.Fatal(err)
	}
	all, err := func() ([]Summary, error) {
		for {
			o, err := tr.Next()
			if errors.Is(err, io.EOF) {
				return b.Rows(), nil
			}
			if err != nil {
				return nil, err
			}
			b.Add(o)
		}
	}()
	if err != nil {
		t.Fatal(err)
	}
	inMemory := cdnowSampleSummaries(t)
	if len(all) != len(inMemory) {
		t.Fatalf("streamed %d rows, in-memory %d", len(all), len(inMemory))
	}
	for i := range all {
		if all[i] != inMemory[i] {
			t.Fatalf("row %d: streamed %+v, in-memory %+v", i, all[i], inMemory[i])
		}
	}

	rows := inMemory
	m, err := Fit(RowsOf(rows), week, 12, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(m.BGNBDStats.LogLikelihood-(-9582.43)) > 0.01 {
		t.Errorf("model log-likelihood %.4f, want -9582.43", m.BGNBDStats.LogLikelihood)
	}
	var first Summary
	for _, s := range rows {
		if s.CustomerID == "00004" { // sample customer 1: x=2, t_x=30.43, T=38.86, m=22.35
			first = s
		}
	}
	p, err := m.Predict(first)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("customer 00004: %+v", p)
	// P(alive) by hand with the published parameters is 0.72659 (see
	// TestProbabilityAlive); E[Z] = 24.6586 is lifetimes' README value.
	if math.Abs(p.ProbabilityAlive-0.72659) > 1e-3 {
		t.Errorf("P(alive) = %.5f, want 0.7266", p.ProbabilityAlive)
	}
	if math.Abs(p.ExpectedAverageValue-24.6586) > 5e-3 {
		t.Errorf("E[Z] = %.4f, want 24.6586", p.ExpectedAverageValue)
	}
	if want := m.BGNBD.ConditionalExpectedPurchases(4.345, 2, first.Recency, first.T); p.ExpectedPurchasesNextMonth != want || want <= 0 {
		t.Errorf("next-month purchases %v, want %v > 0", p.ExpectedPurchasesNextMonth, want)
	}
	// 12 months of ~0.12 purchases a month at ~$24.66, discounted: between
	// the undiscounted sum and zero.
	undiscounted := p.ExpectedAverageValue * m.BGNBD.ConditionalExpectedPurchases(12*4.345, 2, first.Recency, first.T)
	if !(p.CLV > 0.9*undiscounted && p.CLV < undiscounted) {
		t.Errorf("CLV %.4f not within (0.9, 1)× the undiscounted %.4f", p.CLV, undiscounted)
	}
}
