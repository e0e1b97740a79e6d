package controller

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/report"
)

// foldVariants copies the worker's variant figures and winners into status
// (rates in percent, probabilities with four decimals; counts only, never
// customer data) and records an event for each step whose winner is new:
// the promotion is decided by the worker, and this is where it becomes
// visible to people.
func (r *PlaybookReconciler) foldVariants(pb *v1alpha1.Playbook, rep *report.Playbook) {
	st := &pb.Status
	before := map[string]v1alpha1.VariantWinner{}
	for _, w := range st.VariantWinners {
		before[w.Step] = w
	}
	figures := map[[2]string]report.Variant{}
	st.Variants = nil
	for _, v := range rep.Variants {
		figures[[2]string{v.Step, v.Name}] = v
		vs := v1alpha1.VariantStatus{Step: v.Step, Name: v.Name, Sends: v.Sends, Conversions: v.Conversions,
			Interval: fmt.Sprintf("[%.2f%%, %.2f%%]", 100*v.Low, 100*v.High), ProbabilityToBeBest: fmt.Sprintf("%.4f", v.ProbabilityToBeBest)}
		if v.Sends > 0 {
			vs.ConversionRate = fmt.Sprintf("%.2f%%", 100*v.Rate)
		}
		st.Variants = append(st.Variants, vs)
	}
	st.VariantWinners = nil
	for _, w := range rep.VariantWinners {
		vw := v1alpha1.VariantWinner{Step: w.Step, Variant: w.Variant, Reason: v1alpha1.VariantPromoted}
		if w.Pinned {
			vw.Reason = v1alpha1.VariantPinned
		}
		if w.PromotedAt != nil {
			vw.PromotedAt = metaTime(*w.PromotedAt)
		}
		st.VariantWinners = append(st.VariantWinners, vw)
		if old, ok := before[w.Step]; ok && old.Variant == vw.Variant && old.Reason == vw.Reason {
			continue
		}
		r.recordWinner(pb, vw, figures[[2]string{w.Step, w.Variant}])
	}
}

// recordWinner raises a Normal event naming the step, the variant and its
// figures at the moment it won.
func (r *PlaybookReconciler) recordWinner(pb *v1alpha1.Playbook, w v1alpha1.VariantWinner, v report.Variant) {
	if r.Recorder == nil {
		return
	}
	if w.Reason == v1alpha1.VariantPinned {
		r.Recorder.Eventf(pb, nil, corev1.EventTypeNormal, "VariantPinned", "Promote",
			"step %s: variant %s pinned by spec.steps[].send.pinned; new sends use it", w.Step, w.Variant)
		return
	}
	r.Recorder.Eventf(pb, nil, corev1.EventTypeNormal, "VariantPromoted", "Promote",
		"step %s: variant %s promoted after %d sends (conversion rate %.2f%%, probability to be best %.4f); new sends use it",
		w.Step, w.Variant, v.Sends, 100*v.Rate, v.ProbabilityToBeBest)
}
