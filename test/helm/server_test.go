package helm

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

var (
	crdGVR      = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	deployGVR   = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	saGVR       = schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}
	svcGVR      = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	crGVR       = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}
	crbGVR      = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"}
	roleGVR     = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"}
	crdNames    = []string{"channels.retention.dev", "datasources.retention.dev", "loyaltyprograms.retention.dev", "playbooks.retention.dev", "segments.retention.dev"}
	upgradedCol = "Tier"
)

func TestTemplateServerSideDryRun(t *testing.T) {
	cfg, kubeconfig := startAPIServer(t)
	x := newTool(t, kubeconfig)
	x.mustKubectl("create", "namespace", releaseNS)

	// Everything except the ServiceMonitor, whose CRD (Prometheus Operator)
	// this API server does not have.
	manifest := x.mustHelm("template", releaseName, chartDir(t), "--namespace", releaseNS,
		"--set", "dashboard.enabled=true", "--set", "networkPolicy.enabled=true")
	objs := decodeAll(t, manifest)
	out := x.serverSideDryRun(manifest, len(objs), "--field-manager=chart-test")
	for _, o := range objs {
		if !strings.Contains(out, strings.ToLower(o.GetKind())) || !strings.Contains(out, "/"+o.GetName()+" ") {
			t.Errorf("%s %s missing from kubectl output:\n%s", o.GetKind(), o.GetName(), out)
		}
	}
	// A dry run persists nothing.
	dyn := dynamic.NewForConfigOrDie(cfg)
	if _, err := dyn.Resource(crdGVR).Get(context.Background(), "segments.retention.dev", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("after dry run, get CRD: err = %v, want NotFound", err)
	}
}

func TestInstallUpgradeUninstall(t *testing.T) {
	cfg, kubeconfig := startAPIServer(t)
	x := newTool(t, kubeconfig)
	dyn := dynamic.NewForConfigOrDie(cfg)
	ctx := context.Background()

	start := time.Now()
	notes := x.mustHelm("install", releaseName, chartDir(t), "--namespace", releaseNS, "--create-namespace")
	t.Logf("helm install took %s", time.Since(start).Round(time.Millisecond))
	for _, want := range []string{
		"kubectl -n " + releaseNS + " rollout status deployment/" + fullname,
		"They are kept on `helm uninstall` (helm.sh/resource-policy: keep)",
		"bind ClusterRole " + fullname + "-metrics-reader to your scraper",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("install NOTES lack %q:\n%s", want, notes)
		}
	}

	for _, name := range crdNames {
		crd := waitEstablished(t, dyn, name)
		if got := crd.GetAnnotations()["helm.sh/resource-policy"]; got != "keep" {
			t.Errorf("CRD %s resource-policy = %q, want keep", name, got)
		}
		if got := crd.GetAnnotations()["meta.helm.sh/release-name"]; got != releaseName {
			t.Errorf("CRD %s release-name = %q, want %s", name, got, releaseName)
		}
	}
	installed := []struct {
		gvr       schema.GroupVersionResource
		namespace string
		name      string
	}{
		{deployGVR, releaseNS, fullname},
		{saGVR, releaseNS, fullname},
		{svcGVR, releaseNS, fullname + "-metrics"},
		{crGVR, "", fullname + "-manager"},
		{crbGVR, "", fullname + "-manager"},
		{crGVR, "", fullname + "-metrics-auth"},
		{crbGVR, "", fullname + "-metrics-auth"},
		{crGVR, "", fullname + "-metrics-reader"},
		{roleGVR, releaseNS, fullname + "-leader-election"},
	}
	for _, o := range installed {
		if _, err := dyn.Resource(o.gvr).Namespace(o.namespace).Get(ctx, o.name, metav1.GetOptions{}); err != nil {
			t.Errorf("after install, get %s %s/%s: %v", o.gvr.Resource, o.namespace, o.name, err)
		}
	}
	if cols := printerColumns(t, dyn, "segments.retention.dev"); contains(cols, upgradedCol) {
		t.Fatalf("segments already has column %s before the upgrade: %v", upgradedCol, cols)
	}

	// Upgrade to a copy of the chart whose Segment CRD has one more printer
	// column, plus a new worker image: both must reach the cluster.
	changed := chartWithExtraSegmentColumn(t)
	start = time.Now()
	x.mustHelm("upgrade", releaseName, changed, "--namespace", releaseNS, "--set", "workerImage=example.com/worker:2")
	t.Logf("helm upgrade took %s", time.Since(start).Round(time.Millisecond))
	if cols := printerColumns(t, dyn, "segments.retention.dev"); !contains(cols, upgradedCol) {
		t.Fatalf("after upgrade segments columns = %v, want %s among them", cols, upgradedCol)
	}
	d, err := dyn.Resource(deployGVR).Namespace(releaseNS).Get(ctx, fullname, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if got, _ := envValue(cs[0].(map[string]any), "RETENTION_WORKER_IMAGE"); got != "example.com/worker:2" {
		t.Fatalf("after upgrade RETENTION_WORKER_IMAGE = %q, want example.com/worker:2", got)
	}
	if out := x.mustHelm("history", releaseName, "--namespace", releaseNS, "--max", "1", "-o", "json"); !strings.Contains(out, `"revision":2`) || !strings.Contains(out, `"status":"deployed"`) {
		t.Fatalf("helm history after upgrade: %s", out)
	}

	// Uninstall removes the manager but keeps the CRDs (and so every custom resource).
	x.mustHelm("uninstall", releaseName, "--namespace", releaseNS)
	if _, err := dyn.Resource(deployGVR).Namespace(releaseNS).Get(ctx, fullname, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("after uninstall, get Deployment: err = %v, want NotFound", err)
	}
	if _, err := dyn.Resource(crGVR).Get(ctx, fullname+"-manager", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("after uninstall, get ClusterRole: err = %v, want NotFound", err)
	}
	for _, name := range crdNames {
		crd, err := dyn.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Errorf("after uninstall, CRD %s: %v (want kept)", name, err)
			continue
		}
		if crd.GetDeletionTimestamp() != nil {
			t.Errorf("after uninstall, CRD %s is being deleted", name)
		}
	}
}

// waitEstablished polls until the CRD reports Established=True (the API
// server then serves the kind).
func waitEstablished(t *testing.T, dyn dynamic.Interface, name string) *unstructured.Unstructured {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		crd, err := dyn.Resource(crdGVR).Get(context.Background(), name, metav1.GetOptions{})
		if err == nil {
			conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
			for _, c := range conds {
				m := c.(map[string]any)
				if m["type"] == "Established" && m["status"] == "True" {
					return crd
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("CRD %s not established after 30s (last error %v)", name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// printerColumns lists the names of the CRD's first version's printer columns.
func printerColumns(t *testing.T, dyn dynamic.Interface, name string) []string {
	t.Helper()
	crd, err := dyn.Resource(crdGVR).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	cols, _, _ := unstructured.NestedSlice(versions[0].(map[string]any), "additionalPrinterColumns")
	var names []string
	for _, c := range cols {
		names = append(names, c.(map[string]any)["name"].(string))
	}
	return names
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
