package devrun

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/internal/operator"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// A worker process authenticates as its pod's ServiceAccount, so the Role
// the operator grants it is enforced by the real API server's RBAC: it may
// patch its report ConfigMap and nothing else.
func TestServiceAccountKubeconfigHasThePodsPermissions(t *testing.T) {
	ns := createNamespace(t, "identity-test")
	owner := workload.Owner{APIVersion: "retention.dev/v1alpha1", Kind: "Playbook", Name: "pb", Namespace: ns, UID: "uid-1"}
	for _, obj := range []runtime.ApplyConfiguration{
		workload.WorkerServiceAccount(ns),
		workload.WorkerRole(ns, []string{"pb-report"}),
		workload.WorkerRoleBinding(ns),
		workload.ReportConfigMap(owner, workload.ComponentCampaign, "pb-report"),
	} {
		must(t, testC.Apply(ctx, obj, client.FieldOwner("test"), client.ForceOwnership))
	}
	must(t, testC.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "other", Namespace: ns}}))

	path, err := testCP.serviceAccountKubeconfig(ns, workload.WorkerIdentity)
	must(t, err)
	again, err := testCP.serviceAccountKubeconfig(ns, workload.WorkerIdentity)
	must(t, err)
	if again != path {
		t.Fatalf("second call made a new identity: %s != %s", again, path)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	must(t, err)
	sa, err := client.New(cfg, client.Options{Scheme: operator.Scheme()})
	must(t, err)

	patch := client.RawPatch(types.MergePatchType, []byte(`{"data":{"summary.json":"{}"}}`))
	must(t, sa.Patch(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "pb-report", Namespace: ns}}, patch))
	err = sa.Patch(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "other", Namespace: ns}}, patch)
	if !apierrors.IsForbidden(err) {
		t.Fatalf("patching another ConfigMap: %v, want Forbidden", err)
	}
	err = sa.Get(ctx, client.ObjectKey{Namespace: ns, Name: "any"}, &corev1.Secret{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("reading a Secret: %v, want Forbidden", err)
	}
}
