package clv

import "testing"

// BenchmarkFitBGNBDCDNOWSample measures one maximum-likelihood BG/NBD fit on
// the 2,357 CDNOW sample customers (summaries prepared outside the loop).
func BenchmarkFitBGNBDCDNOWSample(b *testing.B) {
	rows := cdnowSampleSummaries(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := FitBGNBD(rows); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFitGammaGammaCDNOWSample measures one Gamma-Gamma fit on the 946
// CDNOW sample repeat customers.
func BenchmarkFitGammaGammaCDNOWSample(b *testing.B) {
	rows := cdnowSampleSummaries(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := FitGammaGamma(rows); err != nil {
			b.Fatal(err)
		}
	}
}
