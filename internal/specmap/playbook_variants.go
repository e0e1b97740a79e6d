package specmap

import (
	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/journey"
)

// variants maps a send step's variants, pin and promotion rule. A variant's
// body goes where the step's body goes (HTML when the step's template is
// HTML); journey.Compile validates the result.
func variants(in *v1alpha1.SendStep, out *journey.SendStep) {
	for _, v := range in.Variants {
		jv := journey.Variant{Name: v.Name, Weight: int(v.Weight), Template: journey.Template{Subject: v.Subject}}
		if v.ChannelRef != nil {
			jv.ChannelRef = v.ChannelRef.Name
		}
		if in.Template.HTML {
			jv.Template.HTML = v.Body
		} else {
			jv.Template.Body = v.Body
		}
		out.Variants = append(out.Variants, jv)
	}
	out.Pinned = in.Pinned
	if p := in.Promote; p != nil {
		out.Promote = &journey.Promote{MinSamplePerVariant: p.MinSamplePerVariant,
			ProbabilityToBeBest: float64(p.ProbabilityToBeBestPercent) / 100}
	}
}
