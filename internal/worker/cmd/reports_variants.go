package cmd

import (
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/worker/campaign"
)

// variantReport gives the report the summary's variant figures and
// winners; rates stay fractions, the controller formats them.
func variantReport(s *campaign.Summary) ([]report.Variant, []report.VariantWinner) {
	var ws []report.VariantWinner
	for _, p := range s.Promotions {
		w := report.VariantWinner{Step: p.Step, Variant: p.Variant, Pinned: p.Pinned}
		if !p.At.IsZero() {
			at := p.At.UTC()
			w.PromotedAt = &at
		}
		ws = append(ws, w)
	}
	return s.Variants, ws // report.Variant is the figures as computed
}
