package controller_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// The HTTP workers a kind runs beside the main one: a DataSource's
// ingestion API and a Channel's preference page.

var _ = Describe("DataSource ingest", func() {
	It("runs the ingestion API with the write key mounted, is Ready once it is available, and removes it with spec.ingest", func() {
		ns := newNamespace()
		ds := &v1alpha1.DataSource{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns}, Spec: v1alpha1.DataSourceSpec{
			SQLite: &v1alpha1.SQLiteSource{Path: "/data/shop.db"},
			Ingest: &v1alpha1.IngestSpec{WriteKeySecretRef: v1alpha1.SecretKeySelector{Name: "segment", Key: "writeKey"}}}}
		Expect(k8s.Create(ctx, ds)).To(Succeed())
		// The write key Secret is missing: the DataSource says so.
		cond := eventuallyReady(ds, metav1.ConditionFalse, "SecretNotFound")
		Expect(cond.Message).To(ContainSubstring(`"segment"`))

		createSecret(ns, "segment", map[string]string{"writeKey": "wk"})
		eventuallyReady(ds, metav1.ConditionFalse, "RollingOut")
		eventuallyAvailable(ns, ds, "")
		Expect(ds.Status.IngestEndpoint).To(Equal("http://web-ingest." + ns + ".svc:8080"))

		c := workerPod(ns, "web-ingest", "ingest", "/readyz").Containers[0]
		Expect(c.VolumeMounts).To(ContainElement(HaveField("MountPath", "/var/run/secrets/retention/ingest-write-key")))
		spec := &corev1.ConfigMap{}
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-ingest"}, spec)).To(Succeed())
		Expect(spec.Data["spec.json"]).To(And(ContainSubstring(`"source": "`+ns+`/web"`), ContainSubstring(`"writeKeyKey": "writeKey"`)))
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-ingest"}, &corev1.Service{})).To(Succeed())

		Expect(k8s.Get(ctx, client.ObjectKeyFromObject(ds), ds)).To(Succeed())
		ds.Spec.Ingest = nil
		Expect(k8s.Update(ctx, ds)).To(Succeed())
		Eventually(func(g Gomega) {
			err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-ingest"}, &appsv1.Deployment{})
			g.Expect(err).To(beNotFound(), "deployment still there: %v", err)
			reload(g, ds)
			g.Expect(ds.Status.IngestEndpoint).To(BeEmpty())
		}, timeout, interval).Should(Succeed())
	})
})

var _ = Describe("Channel preferences", func() {
	It("runs <name>-preferences with the signing key mounted and mounts the key into campaign workers", func() {
		ns := fixtureNamespace()
		ch := &v1alpha1.Channel{ObjectMeta: metav1.ObjectMeta{Name: "news", Namespace: ns}, Spec: v1alpha1.ChannelSpec{
			Console: &v1alpha1.ConsoleChannel{},
			Preferences: &v1alpha1.Preferences{PublicURL: "https://preferences.shop.example",
				SigningKeyRef: v1alpha1.SecretKeySelector{Name: "news-links", Key: "key"},
				Topics:        []v1alpha1.PreferenceTopic{{Name: "service", Transactional: true}},
				Feedback: &v1alpha1.FeedbackWebhooks{Providers: []v1alpha1.FeedbackProvider{"sendgrid"},
					SecretRef: v1alpha1.LocalObjectReference{Name: "news-feedback"}}}}}
		Expect(k8s.Create(ctx, ch)).To(Succeed())
		createSecret(ns, "news-feedback", map[string]string{"sendgrid-verification-key": "not-checked-by-the-manager"})
		// Without the Secret the Channel waits, naming it.
		cond := eventuallyReady(ch, metav1.ConditionFalse, "")
		Expect(cond.Message).To(ContainSubstring("news-links"))

		createSecret(ns, "news-links", map[string]string{"key": "0123456789abcdef0123456789abcdef"})
		eventuallyAvailable(ns, ch, "")

		pod := workerPod(ns, "news-preferences", "preferences", "/healthz")
		c := pod.Containers[0]
		Expect(c.VolumeMounts).To(ContainElement(HaveField("MountPath", "/var/run/secrets/retention/preferences/news")))
		// spec.preferences.feedback: the providers' keys beside it.
		Expect(c.VolumeMounts).To(ContainElement(HaveField("MountPath", "/var/run/secrets/retention/feedback/news")))
		Expect(*c.SecurityContext.ReadOnlyRootFilesystem).To(BeTrue())
		Expect(*pod.SecurityContext.RunAsNonRoot).To(BeTrue())
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "news-preferences"}, &corev1.Service{})).To(Succeed())

		// A Playbook sending through the Channel gets the key to sign its links.
		Expect(k8s.Create(ctx, newSegment(ns, "everyone", "true"))).To(Succeed())
		waitMeasured(ns, "everyone")
		pb := newPlaybook(ns, "letter", "everyone", v1alpha1.Step{Name: "hello", Send: &v1alpha1.SendStep{
			ChannelRef: v1alpha1.LocalObjectReference{Name: "news"}, Topic: "newsletter",
			Template: v1alpha1.MessageTemplate{Subject: "Hi", Body: "Leave: {{.unsubscribeURL}}"}}})
		Expect(k8s.Create(ctx, pb)).To(Succeed())
		eventuallyRunning(ns, pb)
		Eventually(func(g Gomega) {
			camp := &appsv1.Deployment{}
			g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "letter-campaign"}, camp)).To(Succeed())
			g.Expect(camp.Spec.Template.Spec.Containers[0].VolumeMounts).To(
				ContainElement(HaveField("MountPath", "/var/run/secrets/retention/preferences/news")))
		}, timeout, interval).Should(Succeed())
	})
})
