package cmd

import (
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/worker/campaign"
)

// variantReport maps the summary's variant figures and winners to the
// report; rates stay fractions, the controller formats them.
func variantReport(s *campaign.Summary) ([]report.Variant, []report.VariantWinner) {
	var vs []report.Variant
	for _, v := range s.Variants {
		vs = append(vs, report.Variant{Step: v.Step, Name: v.Name, Sends: v.Sends, Conversions: v.Conversions,
			Rate: v.Rate, Low: v.Low, High: v.High, ProbabilityToBeBest: v.ProbabilityToBeBest})
	}
	var ws []report.VariantWinner
	for _, p := range s.Promotions {
		w := report.VariantWinner{Step: p.Step, Variant: p.Variant, Pinned: p.Pinned}
		if !p.At.IsZero() {
			at := p.At.UTC()
			w.PromotedAt = &at
		}
		ws = append(ws, w)
	}
	return vs, ws
}
