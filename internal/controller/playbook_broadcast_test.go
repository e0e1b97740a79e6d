package controller_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/report"
)

var _ = Describe("Playbook broadcast", func() {
	var ns string
	BeforeEach(func() { ns = atRiskNamespace() })

	It("reports the broadcast's state and start in status", func() {
		pb := newPlaybook(ns, "sale", "at-risk")
		pb.Spec.Trigger = v1alpha1.Trigger{Broadcast: &v1alpha1.BroadcastTrigger{At: "2026-12-01T00:00:00Z", LocalTime: "10:00"}}
		Expect(k8s.Create(ctx, pb)).To(Succeed())
		eventuallyRunning(ns, pb)
		started := time.Date(2026, 12, 1, 0, 0, 2, 0, time.UTC)
		writeReport(ns, "sale-campaign-report", report.Playbook{Enrolled: 40, Active: 40,
			Broadcast: &report.Broadcast{State: "Sending", StartedAt: &started}})
		Eventually(func(g Gomega) {
			reload(g, pb)
			g.Expect(pb.Status.Broadcast).NotTo(BeNil())
			g.Expect(pb.Status.Broadcast.State).To(Equal("Sending"))
			g.Expect(pb.Status.Broadcast.StartedAt.Time.Equal(started)).To(BeTrue())
		}, timeout, interval).Should(Succeed())
		Expect(kubectl("get", "playbook", "sale", "-n", ns, "-o", "wide")).To(ContainSubstring("Sending"))
	})

	It("is refused by the API server with reentry, naming the rule", func() {
		pb := newPlaybook(ns, "again", "at-risk")
		pb.Spec.Trigger = v1alpha1.Trigger{Broadcast: &v1alpha1.BroadcastTrigger{At: "2026-12-01T00:00:00Z"}}
		pb.Spec.Reentry = &v1alpha1.Reentry{Policy: "AfterCooldown", Cooldown: "1d"}
		err := k8s.Create(ctx, pb)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("spec.reentry must be Once with a broadcast trigger"))
	})
})
