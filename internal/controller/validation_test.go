package controller_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// The API server itself refuses bad input, with a message naming the field,
// before any controller sees it.
var _ = Describe("schema and CEL validation", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	meta := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name, Namespace: ns} }
	sendStep := func(name string) v1alpha1.Step {
		return v1alpha1.Step{Name: name, Send: &v1alpha1.SendStep{
			ChannelRef: v1alpha1.LocalObjectReference{Name: "email"},
			Template:   v1alpha1.MessageTemplate{Body: "hi"},
		}}
	}
	playbook := func(mutate func(*v1alpha1.PlaybookSpec)) *v1alpha1.Playbook {
		pb := &v1alpha1.Playbook{ObjectMeta: meta("p"), Spec: v1alpha1.PlaybookSpec{
			SegmentRef: v1alpha1.LocalObjectReference{Name: "s"},
			Trigger:    v1alpha1.Trigger{SegmentEntry: &v1alpha1.SegmentEntryTrigger{}},
			Steps:      []v1alpha1.Step{sendStep("hello")},
		}}
		mutate(&pb.Spec)
		return pb
	}
	segment := func(schedule string) *v1alpha1.Segment {
		return &v1alpha1.Segment{ObjectMeta: meta("s"), Spec: v1alpha1.SegmentSpec{
			DataSourceRef: v1alpha1.LocalObjectReference{Name: "d"}, Criteria: "customer.frequency > 1",
			Schedule: v1alpha1.Schedule(schedule),
		}}
	}
	program := func(tiers ...v1alpha1.Tier) *v1alpha1.LoyaltyProgram {
		return &v1alpha1.LoyaltyProgram{ObjectMeta: meta("lp"), Spec: v1alpha1.LoyaltyProgramSpec{
			DataSourceRef: v1alpha1.LocalObjectReference{Name: "d"}, Currency: "EUR", PointValue: "0.01",
			APITokenSecretRef: v1alpha1.SecretKeySelector{Name: "t", Key: "token"},
			Tiers:             tiers,
		}}
	}

	DescribeTable("refuses with a message naming the field",
		func(obj func() client.Object, want ...string) {
			err := k8s.Create(ctx, obj())
			Expect(err).To(HaveOccurred())
			for _, w := range want {
				Expect(err.Error()).To(ContainSubstring(w))
			}
		},
		Entry("a cron with a minute of 61", func() client.Object { return segment("61 * * * *") }, "spec.schedule", "should match"),
		Entry("a cron with four fields", func() client.Object { return segment("0 * * *") }, "spec.schedule"),
		Entry("a playbook cron trigger with a bad hour", func() client.Object {
			return playbook(func(s *v1alpha1.PlaybookSpec) {
				s.Trigger = v1alpha1.Trigger{Schedule: &v1alpha1.ScheduleTrigger{Cron: "0 25 * * *"}}
			})
		}, "spec.trigger.schedule.cron"),
		Entry("holdoutPercent 80", func() client.Object {
			return playbook(func(s *v1alpha1.PlaybookSpec) { s.HoldoutPercent = 80 })
		}, "spec.holdoutPercent", "less than or equal to 50"),
		Entry("duplicate tier names", func() client.Object {
			return program(v1alpha1.Tier{Name: "gold", Threshold: 10}, v1alpha1.Tier{Name: "gold", Threshold: 20})
		}, "spec.tiers[1]", "Duplicate value"),
		Entry("tiers out of order", func() client.Object {
			return program(v1alpha1.Tier{Name: "gold", Threshold: 100}, v1alpha1.Tier{Name: "silver", Threshold: 20})
		}, "spec.tiers", "ascending"),
		Entry("a step with two actions", func() client.Object {
			return playbook(func(s *v1alpha1.PlaybookSpec) {
				step := sendStep("both")
				step.Wait = &v1alpha1.WaitStep{Duration: "1d"}
				s.Steps = []v1alpha1.Step{step}
			})
		}, "spec.steps[0]", "exactly one of send, wait, waitFor, branch, awardPoints, exit"),
		Entry("a branch to an unknown step", func() client.Object {
			return playbook(func(s *v1alpha1.PlaybookSpec) {
				s.Steps = append(s.Steps, v1alpha1.Step{Name: "fork", Branch: &v1alpha1.BranchStep{If: "true", Then: "nowhere"}})
			})
		}, "spec", "branch.then and .else must name a step in spec.steps"),
		Entry("a trigger with two kinds", func() client.Object {
			return playbook(func(s *v1alpha1.PlaybookSpec) { s.Trigger.Event = &v1alpha1.EventTrigger{Type: "x"} })
		}, "spec.trigger", "exactly one of"),
		Entry("a DataSource with two kinds", func() client.Object {
			return &v1alpha1.DataSource{ObjectMeta: meta("d"), Spec: v1alpha1.DataSourceSpec{
				SQLite: &v1alpha1.SQLiteSource{Path: "/data/shop.db"},
				File:   &v1alpha1.FileSource{Format: v1alpha1.FileFormatCSV, Path: "/data"},
			}}
		}, "spec", "exactly one of spec.postgres, spec.sqlite or spec.file must be set"),
		Entry("a Channel with no kind", func() client.Object {
			return &v1alpha1.Channel{ObjectMeta: meta("c")}
		}, "exactly one of spec.webhook, spec.smtp or spec.console must be set"),
		Entry("a webhook URL without a scheme", func() client.Object {
			return &v1alpha1.Channel{ObjectMeta: meta("c"), Spec: v1alpha1.ChannelSpec{Webhook: &v1alpha1.WebhookChannel{
				URL: "crm.example.com/hook", SigningSecretRef: v1alpha1.SecretKeySelector{Name: "s", Key: "k"}}}}
		}, "spec.webhook.url"),
	)

	It("accepts a valid cron and defaults the window", func() {
		seg := segment("*/15 9-17 * * MON-FRI")
		Expect(k8s.Create(ctx, seg)).To(Succeed())
		Expect(seg.Spec.Window).To(Equal(v1alpha1.Duration("90d")))
	})
})
