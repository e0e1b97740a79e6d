package controller_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/retention-dev/retention-operator/api/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/retention-dev/retention-operator/internal/conditions"
)

// helloPlaybook is a fixture namespace with the Segment "all" (everyone)
// and, not yet created, the Playbook "hello" over it.
func helloPlaybook() (ns string, pb *v1alpha1.Playbook) {
	ns = fixtureNamespace()
	create(newSegment(ns, "all", "true"))
	return ns, newPlaybook(ns, "hello", "all")
}

var _ = Describe("Deletion", func() {
	// Foreground deletion (kubectl delete --cascade=foreground, Argo CD's
	// prune) keeps the object, with a deletionTimestamp, until the garbage
	// collector has removed its children. No garbage collector runs under
	// envtest, so a finalizer of the test's own holds the Playbook in that
	// state: the reconciler must let go and never re-create a child.
	It("lets go of a Playbook that is being deleted", func() {
		ns, pb := helloPlaybook()
		controllerutil.AddFinalizer(pb, "test.retention.dev/hold")
		Expect(k8s.Create(ctx, pb)).To(Succeed())
		eventuallyRunning(ns, pb)

		Expect(k8s.Delete(ctx, pb, client.PropagationPolicy(metav1.DeletePropagationForeground))).To(Succeed())
		dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hello-campaign"}}
		// The garbage collector's part. A reconcile that read the Playbook
		// just before the deletion may still finish its apply: that one
		// re-creation is the race the real garbage collector absorbs. A
		// reconciler that does not let go re-creates it on every try.
		Eventually(func(g Gomega) {
			g.Expect(client.IgnoreNotFound(k8s.Delete(ctx, dep))).To(Succeed())
			g.Consistently(func() error {
				return k8s.Get(ctx, client.ObjectKeyFromObject(dep), &appsv1.Deployment{})
			}, 3*time.Second, 200*time.Millisecond).Should(beNotFound(), "the campaign Deployment was re-created during deletion")
		}, 12*time.Second, time.Second).Should(Succeed())

		// Status was not touched on the way out either.
		Expect(k8s.Get(ctx, client.ObjectKeyFromObject(pb), pb)).To(Succeed())
		Expect(pb.DeletionTimestamp).NotTo(BeNil())
		// (The API server's foregroundDeletion finalizer stays: only the
		// garbage collector, absent here, removes it.)
		controllerutil.RemoveFinalizer(pb, "test.retention.dev/hold")
		Expect(k8s.Update(ctx, pb)).To(Succeed())
	})
})

var _ = Describe("Suspend", func() {
	// suspend must stop a running campaign even when the same edit breaks the
	// journey (the worker still runs the last valid spec).
	It("scales a running Playbook to zero when its new spec is invalid", func() {
		ns, pb := helloPlaybook()
		create(pb)
		eventuallyRunning(ns, pb)

		pb.Spec.Suspend = true
		pb.Spec.Steps[0].Send.Template.Body = "{{.noSuchField}}"
		Expect(k8s.Update(ctx, pb)).To(Succeed())
		Eventually(func(g Gomega) {
			dep := &appsv1.Deployment{}
			g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "hello-campaign"}, dep)).To(Succeed())
			g.Expect(*dep.Spec.Replicas).To(Equal(int32(0)))
		}, timeout, interval).Should(Succeed())
		eventuallyReady(pb, metav1.ConditionFalse, "InvalidJourney")
	})
})

var _ = Describe("Engine validation", func() {
	// A LoyaltyProgram the CRD schema accepts but the ledger engine refuses
	// (points that expire after zero time) stalls in the controller with the
	// engine's message, instead of becoming Ready and failing in its worker.
	It("stalls a LoyaltyProgram the ledger engine refuses, naming the field", func() {
		ns := fixtureNamespace()
		lp := newProgram(ns)
		lp.Spec.PointsExpiry = &v1alpha1.PointsExpiry{Mode: "Inactivity", After: "0s"}
		Expect(k8s.Create(ctx, lp)).To(Succeed())
		cond := eventuallyReady(lp, metav1.ConditionFalse, "InvalidSpec")
		Expect(cond.Message).To(ContainSubstring("pointsExpiry.after"))
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "rewards-loyalty"}, &appsv1.Deployment{})).To(beNotFound())
	})
})

// A DataSource or Channel the CRD schema accepts but the worker's mapping
// refuses stalls in the controller (Ready=False, Stalled=True) with the
// message of specmap.DataSource / specmap.Channel, the mappings the worker
// specs are rendered with.
var _ = Describe("Engine validation of connectors", func() {
	expectStalled := func(obj interface {
		client.Object
		conditions.Object
	}, field string) {
		cond := eventuallyReady(obj, metav1.ConditionFalse, "InvalidSpec")
		Expect(cond.Message).To(ContainSubstring(field))
		stalled := meta.FindStatusCondition(*obj.GetConditions(), v1alpha1.ConditionStalled)
		Expect(stalled).NotTo(BeNil())
		Expect(stalled.Status).To(Equal(metav1.ConditionTrue))
		Expect(stalled.Message).To(Equal(cond.Message))
	}

	It("stalls a Transactions DataSource with two ConfigMap keys, naming the field", func() {
		ns := newNamespace()
		Expect(k8s.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "logs", Namespace: ns},
			Data: map[string]string{"a.txt": "1 19970101 1 9.99\n", "b.txt": "2 19970102 1 5.00\n"}})).To(Succeed())
		ds := &v1alpha1.DataSource{ObjectMeta: metav1.ObjectMeta{Name: "logs", Namespace: ns}, Spec: v1alpha1.DataSourceSpec{
			File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatTransactions,
				ConfigMapRef: &v1alpha1.ConfigMapFiles{Name: "logs", Keys: []string{"a.txt", "b.txt"}}}}}
		Expect(k8s.Create(ctx, ds)).To(Succeed())
		expectStalled(ds, "spec.file.configMapRef.keys")
	})

	It("stalls an SMTP Channel whose from is no mail address, naming the field", func() {
		ns := newNamespace()
		ch := &v1alpha1.Channel{ObjectMeta: metav1.ObjectMeta{Name: "mail", Namespace: ns}, Spec: v1alpha1.ChannelSpec{
			SMTP: &v1alpha1.SMTPChannel{Host: "smtp.shop.example", Port: 587, From: "the shop"}}}
		Expect(k8s.Create(ctx, ch)).To(Succeed())
		expectStalled(ch, "spec.smtp.from")
	})

	It("stalls a webhook Channel whose timeout is past the longest duration, naming the field", func() {
		ns := newNamespace()
		createSecret(ns, "sign", map[string]string{"key": "never-echoed-signing-key"})
		ch := &v1alpha1.Channel{ObjectMeta: metav1.ObjectMeta{Name: "crm", Namespace: ns}, Spec: v1alpha1.ChannelSpec{
			Webhook: &v1alpha1.WebhookChannel{URL: "https://crm.example.com/hook", Timeout: "6000w",
				SigningSecretRef: v1alpha1.SecretKeySelector{Name: "sign", Key: "key"}}}}
		Expect(k8s.Create(ctx, ch)).To(Succeed())
		expectStalled(ch, "spec.webhook.timeout")
		Expect(readyCondition(ch).Message).NotTo(ContainSubstring("never-echoed-signing-key"))
	})
})

var _ = Describe("Webhook targets", func() {
	It("refuses a Channel aimed at the cloud metadata address", func() {
		ns := newNamespace()
		createSecret(ns, "sign", map[string]string{"key": "k"})
		ch := &v1alpha1.Channel{ObjectMeta: metav1.ObjectMeta{Name: "metadata", Namespace: ns}, Spec: v1alpha1.ChannelSpec{
			Webhook: &v1alpha1.WebhookChannel{URL: "http://169.254.169.254/latest/meta-data/",
				SigningSecretRef: v1alpha1.SecretKeySelector{Name: "sign", Key: "key"}}}}
		Expect(k8s.Create(ctx, ch)).To(Succeed())
		cond := eventuallyReady(ch, metav1.ConditionFalse, "InvalidURL")
		Expect(cond.Message).To(ContainSubstring("spec.webhook.url"))
	})
})
