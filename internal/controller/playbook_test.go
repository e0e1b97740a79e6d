package controller_test

import (
	"encoding/json"

	dto "github.com/prometheus/client_model/go"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/report"
)

var _ = Describe("Playbook", func() {
	var ns string
	BeforeEach(func() { ns = atRiskNamespace() })

	campaign := func(name string) *appsv1.Deployment {
		d := &appsv1.Deployment{}
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name + "-campaign"}, d)).To(Succeed())
		return d
	}

	It("suspends and resumes the campaign worker", func() {
		pb := newPlaybook(ns, "winback", "at-risk")
		pb.Spec.Workers = &v1alpha1.Workers{Replicas: ptr.To[int32](3)}
		Expect(k8s.Create(ctx, pb)).To(Succeed())
		eventuallyRunning(ns, pb)
		Expect(*campaign("winback").Spec.Replicas).To(Equal(int32(3)))
		Expect(pb.Status.Replicas).To(Equal(int32(3)))
		Expect(pb.Status.Suspended).To(BeFalse())

		pb.Spec.Suspend = true
		Expect(k8s.Update(ctx, pb)).To(Succeed())
		eventuallyReady(pb, metav1.ConditionTrue, "Suspended")
		Expect(*campaign("winback").Spec.Replicas).To(Equal(int32(0)))
		Expect(pb.Status.Suspended).To(BeTrue())
		Expect(pb.Status.Replicas).To(Equal(int32(0)))
		Expect(kubectl("get", "playbook", "winback", "-n", ns)).To(MatchRegexp(`winback\s+True\s+true`))

		pb.Spec.Suspend = false
		Expect(k8s.Update(ctx, pb)).To(Succeed())
		Eventually(func(g Gomega) {
			markDeploymentsAvailable(ns)
			reload(g, pb)
			g.Expect(readyCondition(pb).Reason).To(Equal("Running"))
			g.Expect(pb.Status.Suspended).To(BeFalse())
		}, timeout, interval).Should(Succeed())
		Expect(*campaign("winback").Spec.Replicas).To(Equal(int32(3)))
		Expect(kubectl("get", "playbook", "winback", "-n", ns)).To(MatchRegexp(`winback\s+True\s+false`))
	})

	DescribeTable("bad journeys are Ready=False naming the problem, and no worker runs",
		func(reason string, want string, steps ...v1alpha1.Step) {
			pb := create(newPlaybook(ns, "bad", "at-risk", steps...))
			cond := eventuallyReady(pb, metav1.ConditionFalse, reason)
			Expect(cond.Message).To(ContainSubstring(want))
			err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "bad-campaign"}, &appsv1.Deployment{})
			Expect(err).To(beNotFound(), "no campaign worker for an invalid playbook")
		},
		Entry("an unknown channel", "ChannelNotFound", `channel "sms" not found`,
			v1alpha1.Step{Name: "text", Send: &v1alpha1.SendStep{ChannelRef: v1alpha1.LocalObjectReference{Name: "sms"},
				Template: v1alpha1.MessageTemplate{Body: "hi"}}}),
		Entry("a template with an unknown field", "InvalidJourney", "firstName",
			v1alpha1.Step{Name: "hello", Send: &v1alpha1.SendStep{ChannelRef: v1alpha1.LocalObjectReference{Name: "email"},
				Template: v1alpha1.MessageTemplate{Subject: "Hi {{.firstName}}", Body: "hi"}}}),
		Entry("an invalid CEL branch", "InvalidJourney", "customer.nsp",
			v1alpha1.Step{Name: "hello", Send: &v1alpha1.SendStep{ChannelRef: v1alpha1.LocalObjectReference{Name: "email"},
				Template: v1alpha1.MessageTemplate{Body: "hi"}}},
			v1alpha1.Step{Name: "fork", Branch: &v1alpha1.BranchStep{If: "customer.nsp < 7", Then: "hello"}}),
	)

	It("folds the campaign worker's report into status", func() {
		pb := create(newPlaybook(ns, "winback", "at-risk"))
		eventuallyRunning(ns, pb)

		lift, low, high := 4.5, 1.25, 7.75
		writeReport(ns, "winback-campaign-report", report.Playbook{
			Enrolled: 1000, Active: 120, Completed: 800, Exited: 80, Sent: 1700, Failed: 3,
			Suppressed: map[string]int64{"consent": 40, "frequencyCap": 12},
			Treatment:  report.Arm{Enrolled: 900, Converted: 180}, Holdout: report.Arm{Enrolled: 100, Converted: 15},
			Lift: &lift, LiftLow: &low, LiftHigh: &high,
		})
		Eventually(func(g Gomega) {
			reload(g, pb)
			g.Expect(pb.Status.Sent).To(Equal(int64(1700)))
		}, timeout, interval).Should(Succeed())
		Expect(pb.Status.Enrolled).To(Equal(int64(1000)))
		Expect(pb.Status.Suppressed).To(Equal(map[string]int64{"consent": 40, "frequencyCap": 12}))
		Expect(pb.Status.Conversions).To(Equal(&v1alpha1.Conversions{Treatment: 180, TreatmentEnrolled: 900, Holdout: 15, HoldoutEnrolled: 100}))
		Expect(pb.Status.Lift).To(Equal("4.50pp"))
		Expect(pb.Status.LiftInterval).To(Equal("[1.25, 7.75]"))
		// The worker's running totals are exported as counters (rate() applies).
		playbook := map[string]string{"namespace": ns, "playbook": "winback"}
		Expect(sample("retention_campaign_sent_total", dto.MetricType_COUNTER, playbook)).To(Equal(1700.0))
		playbook["reason"] = "consent"
		Expect(sample("retention_campaign_suppressed_total", dto.MetricType_COUNTER, playbook)).To(Equal(40.0))

		// 60 of the next 160 attempts fail: a spike worth an event.
		writeReport(ns, "winback-campaign-report", report.Playbook{Enrolled: 1000, Sent: 1800, Failed: 63,
			Treatment: report.Arm{Enrolled: 900, Converted: 180}, Holdout: report.Arm{Enrolled: 100, Converted: 15}})
		Eventually(func(g Gomega) {
			g.Expect(eventNotes(g, ns, "FailureSpike", "winback")).To(ContainElement("60 of 160 messages failed permanently since the last report"))
		}, timeout, interval).Should(Succeed())
	})
})

// writeReport stands in for a worker: it writes a summary into the report
// ConfigMap the controller created, exactly as report.ConfigMap does.
func writeReport(ns, name string, summary any) {
	b, err := json.Marshal(summary)
	Expect(err).NotTo(HaveOccurred())
	Eventually(func(g Gomega) {
		cm := &corev1.ConfigMap{}
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, cm)).To(Succeed())
		patch := client.MergeFrom(cm.DeepCopy())
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		cm.Data[report.Key] = string(b)
		g.Expect(k8s.Patch(ctx, cm, patch)).To(Succeed())
	}, timeout, interval).Should(Succeed())
}
