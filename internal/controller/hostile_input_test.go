package controller_test

import (
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/segment"
)

// Issue 12 items 2 and 3: a Playbook's templates and a Segment's or
// Playbook's CEL are user input the controller runs; hostile ones must be
// refused with a message naming the field, and must not hold up anyone else.
var _ = Describe("hostile input", func() {
	sendStep := func(body string) v1alpha1.Step {
		return v1alpha1.Step{Name: "hello", Send: &v1alpha1.SendStep{ChannelRef: v1alpha1.LocalObjectReference{Name: "email"},
			Template: v1alpha1.MessageTemplate{Subject: "Hi", Body: body}}}
	}

	It("refuses template bombs by field while a Playbook in another namespace becomes Ready and can be suspended", func() {
		bombs := newNamespace()
		fixture(bombs)
		Expect(k8s.Create(ctx, newSegment(bombs, "at-risk", "customer.recencyDays > 60.0"))).To(Succeed())
		waitMeasured(bombs, "at-risk")
		rangeBomb := newPlaybook(bombs, "range-bomb", "at-risk", sendStep(`{{range 100000000000}}{{end}}`))
		printfBomb := newPlaybook(bombs, "printf-bomb", "at-risk",
			sendStep(`{{range 1000}}{{range 1000}}{{printf "%0999999d" 1}}{{end}}{{end}}`))
		Expect(k8s.Create(ctx, rangeBomb)).To(Succeed())
		Expect(k8s.Create(ctx, printfBomb)).To(Succeed())

		other := newNamespace()
		fixture(other)
		Expect(k8s.Create(ctx, newSegment(other, "at-risk", "customer.recencyDays > 60.0"))).To(Succeed())
		waitMeasured(other, "at-risk")
		pb := create(newPlaybook(other, "winback", "at-risk"))
		Eventually(func(g Gomega) {
			markDeploymentsAvailable(other)
			reload(g, pb)
			g.Expect(readyCondition(pb)).NotTo(BeNil())
			g.Expect(readyCondition(pb).Reason).To(Equal("Running"), "Ready: %+v", readyCondition(pb))
		}, 20*time.Second, interval).Should(Succeed())

		cond := eventuallyReady(rangeBomb, metav1.ConditionFalse, "InvalidJourney")
		Expect(cond.Message).To(ContainSubstring(fmt.Sprintf(
			`steps[0].send.template.body: template "hello" body: range over 100000000000 at 1:9 exceeds the limit of %d iterations; use a smaller number`,
			journey.MaxRangeLiteral)))
		cond = eventuallyReady(printfBomb, metav1.ConditionFalse, "InvalidJourney")
		Expect(cond.Message).To(ContainSubstring(fmt.Sprintf(
			`steps[0].send.template.body: template "hello" body: range over 1000 at 1:23 nested in other ranges runs 1000000 iterations in total, over the limit of %d`,
			journey.MaxNestedRangeIterations)))

		// suspend still takes effect with the bombs applied.
		pb.Spec.Suspend = true
		Expect(k8s.Update(ctx, pb)).To(Succeed())
		eventuallyReady(pb, metav1.ConditionTrue, "Suspended")
	})

	It("refuses the CEL cost bomb in a Segment and in a Playbook branch, naming the cost", func() {
		ns := fixtureNamespace()
		costMsg := fmt.Sprintf("exceeds the limit of %d per customer; nest fewer comprehensions", segment.MaxCost)

		seg := create(newSegment(ns, "bomb", fourNestedAll("a + b + c + d > customer.frequency")))
		cond := eventuallyReady(seg, metav1.ConditionFalse, "InvalidCriteria")
		Expect(cond.Message).To(HavePrefix("spec.criteria: estimated cost "))
		Expect(cond.Message).To(ContainSubstring(costMsg))

		Expect(k8s.Create(ctx, newSegment(ns, "at-risk", "customer.recencyDays > 60.0"))).To(Succeed())
		waitMeasured(ns, "at-risk")
		pb := newPlaybook(ns, "branch-bomb", "at-risk", sendStep("hi"),
			v1alpha1.Step{Name: "fork", Branch: &v1alpha1.BranchStep{If: fourNestedAll("journey.sends + a + b + c + d > 0"), Then: "hello"}})
		Expect(k8s.Create(ctx, pb)).To(Succeed())
		cond = eventuallyReady(pb, metav1.ConditionFalse, "InvalidJourney")
		Expect(cond.Message).To(ContainSubstring(`steps[1].branch.if: step "fork": invalid CEL`))
		Expect(cond.Message).To(ContainSubstring("estimated cost "))
		Expect(cond.Message).To(ContainSubstring(costMsg))
	})
})

// fourNestedAll is issue 12's CEL cost bomb: four .all() over a 50-element
// list around inner (6 s per customer before the cost limit).
func fourNestedAll(inner string) string {
	items := make([]string, 50)
	for i := range items {
		items[i] = fmt.Sprint(i + 1)
	}
	list := "[" + strings.Join(items, ", ") + "]"
	return list + ".all(a, " + list + ".all(b, " + list + ".all(c, " + list + ".all(d, " + inner + "))))"
}
