package controller_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// fixture creates a Ready DataSource (SQLite) and console Channel in ns.
func fixture(ns string) {
	Expect(k8s.Create(ctx, &v1alpha1.DataSource{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: ns},
		Spec: v1alpha1.DataSourceSpec{SQLite: &v1alpha1.SQLiteSource{Path: "/data/shop.db"}}})).To(Succeed())
	Expect(k8s.Create(ctx, &v1alpha1.Channel{ObjectMeta: metav1.ObjectMeta{Name: "email", Namespace: ns},
		Spec: v1alpha1.ChannelSpec{Console: &v1alpha1.ConsoleChannel{}}})).To(Succeed())
}

func newSegment(ns, name, criteria string) *v1alpha1.Segment {
	return &v1alpha1.Segment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: v1alpha1.SegmentSpec{
		DataSourceRef: v1alpha1.LocalObjectReference{Name: "shop"}, Criteria: criteria,
		Metrics: []v1alpha1.MetricName{"retentionRate", "nps"},
	}}
}

func newPlaybook(ns, name, segment string, steps ...v1alpha1.Step) *v1alpha1.Playbook {
	if len(steps) == 0 {
		steps = []v1alpha1.Step{{Name: "hello", Send: &v1alpha1.SendStep{
			ChannelRef: v1alpha1.LocalObjectReference{Name: "email"},
			Template:   v1alpha1.MessageTemplate{Subject: "Hi", Body: "You ordered {{.frequency}} times."},
		}}}
	}
	return &v1alpha1.Playbook{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: v1alpha1.PlaybookSpec{
		SegmentRef: v1alpha1.LocalObjectReference{Name: segment},
		Trigger:    v1alpha1.Trigger{SegmentEntry: &v1alpha1.SegmentEntryTrigger{}},
		Steps:      steps, HoldoutPercent: 10,
	}}
}

var _ = Describe("references", func() {
	It("unblocks a Playbook when its missing Segment is created", func() {
		ns := fixtureNamespace()
		pb := create(newPlaybook(ns, "winback", "at-risk"))
		cond := eventuallyReady(pb, metav1.ConditionFalse, "SegmentNotFound")
		Expect(cond.Message).To(Equal(`segment "at-risk" not found in namespace "` + ns + `"`))
		Expect(kstatusOf(pb).Status).To(Equal(status.InProgressStatus))
		// Nothing runs while blocked.
		err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "winback-campaign"}, &appsv1.Deployment{})
		Expect(err).To(beNotFound())

		Expect(k8s.Create(ctx, newSegment(ns, "at-risk", "customer.recencyDays > 60.0"))).To(Succeed())
		Eventually(func(g Gomega) {
			markDeploymentsAvailable(ns)
			reload(g, pb)
			g.Expect(readyCondition(pb).Status).To(Equal(metav1.ConditionTrue), readyCondition(pb).Message)
		}, timeout, interval).Should(Succeed())
		Expect(kstatusOf(pb).Status).To(Equal(status.CurrentStatus))
	})

	It("waits for a Secret and becomes Ready when it appears", func() {
		ns := newNamespace()
		ds := &v1alpha1.DataSource{ObjectMeta: metav1.ObjectMeta{Name: "pg", Namespace: ns}, Spec: v1alpha1.DataSourceSpec{
			Postgres: &v1alpha1.PostgresSource{DSNSecretRef: v1alpha1.SecretKeySelector{Name: "shop-db", Key: "dsn"}}}}
		Expect(k8s.Create(ctx, ds)).To(Succeed())
		cond := eventuallyReady(ds, metav1.ConditionFalse, "SecretNotFound")
		Expect(cond.Message).To(ContainSubstring(`secret "shop-db" not found`))

		secret := createSecret(ns, "shop-db", map[string]string{"url": "x"})
		cond = eventuallyReady(ds, metav1.ConditionFalse, "SecretKeyMissing")
		Expect(cond.Message).To(ContainSubstring(`has no key "dsn"`))
		Expect(cond.Message).NotTo(ContainSubstring("x"), "values are never echoed")

		secret.StringData = map[string]string{"dsn": "postgres://u:p@db/shop"}
		Expect(k8s.Update(ctx, secret)).To(Succeed())
		eventuallyReady(ds, metav1.ConditionTrue, "Configured")
		Expect(ds.Status.Type).To(Equal("Postgres"))
	})

	It("reports an invalid criteria with CEL's position and creates no job", func() {
		ns := fixtureNamespace()
		seg := create(newSegment(ns, "typo", "customer.recencyDays > 90.0 && customer.frequncy >= 2"))
		cond := eventuallyReady(seg, metav1.ConditionFalse, "InvalidCriteria")
		Expect(cond.Message).To(ContainSubstring("spec.criteria"))
		Expect(cond.Message).To(ContainSubstring("customer.frequncy"))
		Expect(cond.Message).To(MatchRegexp(`at 1:\d+`))
		Expect(kstatusOf(seg).Status).To(Equal(status.FailedStatus))
		Consistently(func() error {
			return k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "typo-metrics"}, &batchv1.CronJob{})
		}, "1s", "100ms").Should(beNotFound())

		seg.Spec.Criteria = "customer.recencyDays > 90.0 && customer.frequency >= 2"
		Expect(k8s.Update(ctx, seg)).To(Succeed())
		eventuallyReady(seg, metav1.ConditionFalse, "FirstRun")
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "typo-metrics"}, &batchv1.CronJob{})).To(Succeed())
	})
})
