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
