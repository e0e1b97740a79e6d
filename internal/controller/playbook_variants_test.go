package controller_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/report"
)

func abStep(variants ...v1alpha1.Variant) v1alpha1.Step {
	return v1alpha1.Step{Name: "offer", Send: &v1alpha1.SendStep{
		ChannelRef: v1alpha1.LocalObjectReference{Name: "email"},
		Template:   v1alpha1.MessageTemplate{Subject: "Hi", Body: "You ordered {{.frequency}} times."},
		Variants:   variants,
		Promote:    &v1alpha1.VariantPromote{MinSamplePerVariant: 100, ProbabilityToBeBestPercent: 95},
	}}
}

var _ = Describe("Playbook variants", func() {
	var ns string
	BeforeEach(func() { ns = atRiskNamespace() })

	It("shows per-variant figures and the winner in status, with an event for the promotion", func() {
		pb := newPlaybook(ns, "ab", "at-risk", abStep(
			v1alpha1.Variant{Name: "plain", Weight: 1},
			v1alpha1.Variant{Name: "discount", Weight: 1, Subject: "10% off for you"}))
		Expect(k8s.Create(ctx, pb)).To(Succeed())
		eventuallyRunning(ns, pb)

		// Figures of 40/200 and 60/200 (the journey package's hand-computed example).
		promoted := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		writeReport(ns, "ab-campaign-report", report.Playbook{Enrolled: 450, Sent: 400,
			Variants: []report.Variant{
				{Step: "offer", Name: "plain", Sends: 200, Conversions: 40, Rate: 0.2, Low: 0.150452, High: 0.260855, ProbabilityToBeBest: 0.010594},
				{Step: "offer", Name: "discount", Sends: 200, Conversions: 60, Rate: 0.3, Low: 0.240747, High: 0.366791, ProbabilityToBeBest: 0.989406},
			},
			VariantWinners: []report.VariantWinner{{Step: "offer", Variant: "discount", PromotedAt: &promoted}},
		})
		Eventually(func(g Gomega) {
			reload(g, pb)
			g.Expect(pb.Status.Variants).To(HaveLen(2))
		}, timeout, interval).Should(Succeed())
		Expect(pb.Status.Variants).To(Equal([]v1alpha1.VariantStatus{
			{Step: "offer", Name: "plain", Sends: 200, Conversions: 40, ConversionRate: "20.00%", Interval: "[15.05%, 26.09%]", ProbabilityToBeBest: "0.0106"},
			{Step: "offer", Name: "discount", Sends: 200, Conversions: 60, ConversionRate: "30.00%", Interval: "[24.07%, 36.68%]", ProbabilityToBeBest: "0.9894"},
		}))
		Expect(pb.Status.VariantWinners).To(HaveLen(1))
		w := pb.Status.VariantWinners[0]
		Expect(w.Step).To(Equal("offer"))
		Expect(w.Variant).To(Equal("discount"))
		Expect(w.Reason).To(Equal(v1alpha1.VariantPromoted))
		Expect(w.PromotedAt.Time.Equal(promoted)).To(BeTrue())

		Eventually(func(g Gomega) {
			g.Expect(eventNotes(g, ns, "VariantPromoted", "ab")).To(ConsistOf("step offer: variant discount promoted after 200 sends (conversion rate 30.00%, probability to be best 0.9894); new sends use it"))
		}, timeout, interval).Should(Succeed())
	})

	It("refuses a pin that names no variant and more variants than the limit, at the API server", func() {
		pb := newPlaybook(ns, "bad-pin", "at-risk", abStep(v1alpha1.Variant{Name: "a", Weight: 1}, v1alpha1.Variant{Name: "b", Weight: 1}))
		pb.Spec.Steps[0].Send.Pinned = "c"
		err := k8s.Create(ctx, pb)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("spec.steps[].send.pinned must name one of the step's variants"))

		var nine []v1alpha1.Variant
		for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"} {
			nine = append(nine, v1alpha1.Variant{Name: n, Weight: 1})
		}
		err = k8s.Create(ctx, newPlaybook(ns, "too-many", "at-risk", abStep(nine...)))
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("spec.steps[0].send.variants: Too many: 9: must have at most 8 items"))
	})
})
