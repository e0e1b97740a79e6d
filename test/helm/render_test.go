package helm

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

const (
	releaseName = "retention-operator"
	releaseNS   = "retention-system"
	// fullname: the release name contains the chart name, so it is not doubled.
	fullname = "retention-operator"
)

// render runs `helm template` with the given --set values and decodes every
// rendered document.
func render(t *testing.T, sets ...string) []*unstructured.Unstructured {
	t.Helper()
	x := newTool(t, "")
	args := []string{"template", releaseName, chartDir(t), "--namespace", releaseNS}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	return decodeAll(t, x.mustHelm(args...))
}

// decodeAll splits a multi-document YAML stream into objects (empty documents skipped).
func decodeAll(t *testing.T, manifest string) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(manifest), 4096)
	var objs []*unstructured.Unstructured
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return objs
			}
			t.Fatalf("decode rendered manifest: %v", err)
		}
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		// Unstructured's own decoder keeps integers as int64, as the API does.
		o := &unstructured.Unstructured{}
		if err := o.UnmarshalJSON(raw); err != nil {
			t.Fatalf("decode rendered object: %v\n%s", err, raw)
		}
		objs = append(objs, o)
	}
}

// find returns the rendered object of kind and name, or nil.
func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

// kindCounts counts rendered objects per kind.
func kindCounts(objs []*unstructured.Unstructured) map[string]int {
	n := map[string]int{}
	for _, o := range objs {
		n[o.GetKind()]++
	}
	return n
}

// appVersion reads the chart's appVersion (the default image tag).
func appVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chartDir(t), "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		AppVersion string `json:"appVersion"`
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	return c.AppVersion
}

// managerContainer returns the manager container of the rendered Deployment.
func managerContainer(t *testing.T, objs []*unstructured.Unstructured) map[string]any {
	t.Helper()
	d := find(objs, "Deployment", fullname)
	if d == nil {
		t.Fatalf("no Deployment %q rendered", fullname)
	}
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if len(cs) != 1 {
		t.Fatalf("Deployment has %d containers, want 1", len(cs))
	}
	return cs[0].(map[string]any)
}

// envValue returns the value of env var name in container c.
func envValue(c map[string]any, name string) (string, bool) {
	env, _, _ := unstructured.NestedSlice(c, "env")
	for _, e := range env {
		m := e.(map[string]any)
		if m["name"] == name {
			v, _ := m["value"].(string)
			return v, true
		}
	}
	return "", false
}

func TestLint(t *testing.T) {
	x := newTool(t, "")
	cases := []struct {
		name    string
		sets    []string
		wantErr string
	}{
		{name: "defaults"},
		{name: "every option on", sets: []string{"serviceMonitor.enabled=true", "dashboard.enabled=true", "networkPolicy.enabled=true", "workerImage=example.com/worker:1", "replicaCount=2"}},
		{name: "no crds, no rbac, existing service account", sets: []string{"crds.enabled=false", "rbac.create=false", "serviceAccount.create=false", "serviceAccount.name=existing"}},
		{name: "unknown value rejected by schema", sets: []string{"replicas=2"}, wantErr: "additional properties 'replicas' not allowed"},
		{name: "bad pull policy rejected by schema", sets: []string{"image.pullPolicy=Sometimes"}, wantErr: "pullPolicy"},
		{name: "bad port rejected by schema", sets: []string{"metrics.port=70000"}, wantErr: "maximum"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"lint", "--strict", chartDir(t)}
			for _, s := range tc.sets {
				args = append(args, "--set", s)
			}
			out, err := x.run(x.helm, args...)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(out, "1 chart(s) linted, 0 chart(s) failed") {
					t.Fatalf("lint output:\n%s", out)
				}
				return
			}
			if err == nil {
				t.Fatalf("lint passed, want failure containing %q:\n%s", tc.wantErr, out)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("lint error does not mention %q:\n%v", tc.wantErr, err)
			}
		})
	}
}

func TestRenderDefaultObjects(t *testing.T) {
	objs := render(t)
	want := map[string]int{
		"CustomResourceDefinition": 5,
		"Deployment":               1,
		"ServiceAccount":           1,
		"ClusterRole":              3, // manager, metrics-auth, metrics-reader
		"ClusterRoleBinding":       2, // manager, metrics-auth
		"Role":                     1, // leader election
		"RoleBinding":              1,
		"Service":                  1, // metrics
	}
	if got := kindCounts(objs); !reflect.DeepEqual(got, want) {
		t.Fatalf("rendered kinds = %v, want %v", got, want)
	}
	for _, o := range objs {
		if ns := o.GetNamespace(); o.GetKind() != "CustomResourceDefinition" && !strings.HasPrefix(o.GetKind(), "Cluster") && ns != releaseNS {
			t.Errorf("%s/%s namespace = %q, want %q", o.GetKind(), o.GetName(), ns, releaseNS)
		}
		// The manager's cache is filtered on managed-by=retention-operator;
		// chart objects must not look like operator-owned workloads.
		if got := o.GetLabels()["app.kubernetes.io/managed-by"]; o.GetKind() != "CustomResourceDefinition" && got != "Helm" {
			t.Errorf("%s/%s managed-by = %q, want Helm", o.GetKind(), o.GetName(), got)
		}
	}
	svc := find(objs, "Service", fullname+"-metrics")
	if svc == nil {
		t.Fatal("no metrics Service")
	}
	ports, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	if len(ports) != 1 || ports[0].(map[string]any)["name"] != "https" || ports[0].(map[string]any)["port"] != int64(8443) {
		t.Fatalf("metrics Service ports = %v, want one https port 8443", ports)
	}
}

func TestRenderManagerArgsAndImage(t *testing.T) {
	tag := appVersion(t)
	digest := "sha256:" + strings.Repeat("ab", 32)
	cases := []struct {
		name        string
		sets        []string
		wantImage   string
		wantWorker  string
		leaderElect bool
	}{
		{name: "defaults", wantImage: "ghcr.io/retention-dev/retention-operator:" + tag, wantWorker: "ghcr.io/retention-dev/retention-operator:" + tag, leaderElect: true},
		{name: "tag", sets: []string{"image.tag=v9"}, wantImage: "ghcr.io/retention-dev/retention-operator:v9", wantWorker: "ghcr.io/retention-dev/retention-operator:v9", leaderElect: true},
		{name: "digest wins over tag", sets: []string{"image.tag=v9", "image.digest=" + digest}, wantImage: "ghcr.io/retention-dev/retention-operator@" + digest, wantWorker: "ghcr.io/retention-dev/retention-operator@" + digest, leaderElect: true},
		{name: "separate worker image", sets: []string{"workerImage=example.com/worker:2"}, wantImage: "ghcr.io/retention-dev/retention-operator:" + tag, wantWorker: "example.com/worker:2", leaderElect: true},
		{name: "leader election off", sets: []string{"leaderElection.enabled=false"}, wantImage: "ghcr.io/retention-dev/retention-operator:" + tag, wantWorker: "ghcr.io/retention-dev/retention-operator:" + tag},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := render(t, tc.sets...)
			c := managerContainer(t, objs)
			if c["image"] != tc.wantImage {
				t.Errorf("image = %v, want %s", c["image"], tc.wantImage)
			}
			if got, ok := envValue(c, "RETENTION_WORKER_IMAGE"); !ok || got != tc.wantWorker {
				t.Errorf("RETENTION_WORKER_IMAGE = %q (set %v), want %q", got, ok, tc.wantWorker)
			}
			args, _, _ := unstructured.NestedStringSlice(c, "args")
			wantArgs := []string{"--metrics-bind-address=:8443", "--health-probe-bind-address=:8081"}
			if tc.leaderElect {
				wantArgs = append(wantArgs, "--leader-elect")
			}
			if !reflect.DeepEqual(args, wantArgs) {
				t.Errorf("args = %v, want %v", args, wantArgs)
			}
			role := find(objs, "Role", fullname+"-leader-election")
			if (role != nil) != tc.leaderElect {
				t.Errorf("leader-election Role rendered = %v, want %v", role != nil, tc.leaderElect)
			}
		})
	}
}

func TestRenderRestrictedSecurityContext(t *testing.T) {
	objs := render(t)
	c := managerContainer(t, objs)
	d := find(objs, "Deployment", fullname)
	pod, _, _ := unstructured.NestedMap(d.Object, "spec", "template", "spec", "securityContext")
	sc := c["securityContext"].(map[string]any)
	checks := []struct {
		what string
		got  any
		want any
	}{
		{"pod runAsNonRoot", pod["runAsNonRoot"], true},
		{"pod runAsUser", pod["runAsUser"], int64(65532)},
		{"pod seccompProfile", pod["seccompProfile"], map[string]any{"type": "RuntimeDefault"}},
		{"container runAsNonRoot", sc["runAsNonRoot"], true},
		{"container runAsUser", sc["runAsUser"], int64(65532)},
		{"container readOnlyRootFilesystem", sc["readOnlyRootFilesystem"], true},
		{"container allowPrivilegeEscalation", sc["allowPrivilegeEscalation"], false},
		{"container capabilities", sc["capabilities"], map[string]any{"drop": []any{"ALL"}}},
		{"container seccompProfile", sc["seccompProfile"], map[string]any{"type": "RuntimeDefault"}},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.what, ch.got, ch.want)
		}
	}
}

func TestRenderCRDPolicy(t *testing.T) {
	cases := []struct {
		name     string
		sets     []string
		wantCRDs int
		wantKeep bool
	}{
		{name: "defaults install and keep", wantCRDs: 5, wantKeep: true},
		{name: "keep off", sets: []string{"crds.keep=false"}, wantCRDs: 5},
		{name: "disabled", sets: []string{"crds.enabled=false"}},
	}
	wantNames := []string{"channels.retention.dev", "datasources.retention.dev", "loyaltyprograms.retention.dev", "playbooks.retention.dev", "segments.retention.dev"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var names []string
			for _, o := range render(t, tc.sets...) {
				if o.GetKind() != "CustomResourceDefinition" {
					continue
				}
				names = append(names, o.GetName())
				_, keep := o.GetAnnotations()["helm.sh/resource-policy"]
				if keep != tc.wantKeep {
					t.Errorf("%s has keep annotation = %v, want %v", o.GetName(), keep, tc.wantKeep)
				}
				if tc.wantKeep && o.GetAnnotations()["helm.sh/resource-policy"] != "keep" {
					t.Errorf("%s resource-policy = %q, want keep", o.GetName(), o.GetAnnotations()["helm.sh/resource-policy"])
				}
			}
			if len(names) != tc.wantCRDs {
				t.Fatalf("rendered %d CRDs (%v), want %d", len(names), names, tc.wantCRDs)
			}
			if tc.wantCRDs > 0 && !reflect.DeepEqual(names, wantNames) {
				t.Fatalf("CRDs = %v, want %v", names, wantNames)
			}
		})
	}
}

// rule is one PolicyRule, compared field by field.
type rule struct {
	APIGroups       []string `json:"apiGroups,omitempty"`
	Resources       []string `json:"resources,omitempty"`
	Verbs           []string `json:"verbs"`
	NonResourceURLs []string `json:"nonResourceURLs,omitempty"`
}

func rulesOf(t *testing.T, o *unstructured.Unstructured) []rule {
	t.Helper()
	data, err := json.Marshal(o.Object["rules"])
	if err != nil {
		t.Fatal(err)
	}
	var rs []rule
	if err := json.Unmarshal(data, &rs); err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestRenderLeastPrivilegeRBAC(t *testing.T) {
	kinds := []string{"channels", "datasources", "loyaltyprograms", "playbooks", "segments"}
	sub := func(s string) []string {
		out := make([]string, len(kinds))
		for i, k := range kinds {
			out[i] = k + "/" + s
		}
		return out
	}
	crud := []string{"create", "get", "list", "watch", "update", "patch", "delete"}
	sortedCRUD := []string{"create", "delete", "get", "list", "patch", "update", "watch"}
	cases := []struct {
		role string
		kind string
		want []rule
	}{
		{role: fullname + "-manager", kind: "ClusterRole", want: []rule{
			{APIGroups: []string{""}, Resources: []string{"configmaps", "serviceaccounts", "services"}, Verbs: sortedCRUD},
			{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get"}},
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: sortedCRUD},
			{APIGroups: []string{"batch"}, Resources: []string{"cronjobs", "jobs"}, Verbs: sortedCRUD},
			{APIGroups: []string{"events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
			{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"rolebindings", "roles"}, Verbs: sortedCRUD},
			{APIGroups: []string{"retention.dev"}, Resources: kinds, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"retention.dev"}, Resources: sub("status"), Verbs: []string{"get", "patch", "update"}},
		}},
		{role: fullname + "-leader-election", kind: "Role", want: []rule{
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: crud},
			{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		}},
		{role: fullname + "-metrics-auth", kind: "ClusterRole", want: []rule{
			{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"tokenreviews"}, Verbs: []string{"create"}},
			{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"subjectaccessreviews"}, Verbs: []string{"create"}},
		}},
		{role: fullname + "-metrics-reader", kind: "ClusterRole", want: []rule{
			{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}},
		}},
	}
	objs := render(t)
	for _, tc := range cases {
		t.Run(tc.role, func(t *testing.T) {
			o := find(objs, tc.kind, tc.role)
			if o == nil {
				t.Fatalf("%s %s not rendered", tc.kind, tc.role)
			}
			if got := rulesOf(t, o); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("rules:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
	// No wildcard anywhere, and nothing may delete the custom resources or
	// read Secrets beyond get/list/watch.
	for _, o := range objs {
		if o.GetKind() != "ClusterRole" && o.GetKind() != "Role" {
			continue
		}
		for _, r := range rulesOf(t, o) {
			for _, v := range append(append(append([]string{}, r.Verbs...), r.Resources...), r.APIGroups...) {
				if v == "*" {
					t.Errorf("%s %s has a wildcard rule %+v", o.GetKind(), o.GetName(), r)
				}
			}
		}
	}
	if got := render(t, "rbac.create=false"); find(got, "ClusterRole", fullname+"-manager") != nil {
		t.Error("rbac.create=false still renders the manager ClusterRole")
	}
}

// TestRenderWatchNamespaces: a namespaced install renders a Role and
// RoleBinding per watched namespace and no ClusterRole that grants Secrets
// (a tenant's operator cannot read another namespace's credentials).
func TestRenderWatchNamespaces(t *testing.T) {
	objs := render(t, "watchNamespaces={shop,billing}")
	for _, o := range objs {
		if o.GetKind() != "ClusterRole" {
			continue
		}
		for _, r := range rulesOf(t, o) {
			for _, res := range r.Resources {
				if res == "secrets" {
					t.Errorf("ClusterRole %s grants %v on secrets with watchNamespaces set", o.GetName(), r.Verbs)
				}
			}
		}
	}
	for _, ns := range []string{"shop", "billing"} {
		var role, binding *unstructured.Unstructured
		for _, o := range objs {
			if o.GetNamespace() == ns && o.GetName() == fullname+"-manager" {
				switch o.GetKind() {
				case "Role":
					role = o
				case "RoleBinding":
					binding = o
				}
			}
		}
		if role == nil || binding == nil {
			t.Fatalf("namespace %s: Role %v, RoleBinding %v", ns, role != nil, binding != nil)
		}
		if len(rulesOf(t, role)) != 9 {
			t.Errorf("Role in %s has %d rules, want the manager's 9", ns, len(rulesOf(t, role)))
		}
	}
	dep := find(objs, "Deployment", fullname)
	args, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	if !strings.Contains(fmt.Sprint(args), "--watch-namespaces=shop,billing") {
		t.Errorf("manager args do not carry --watch-namespaces: %v", args)
	}
}

func TestRenderDashboard(t *testing.T) {
	if find(render(t), "ConfigMap", fullname+"-dashboard") != nil {
		t.Fatal("dashboard rendered while dashboard.enabled=false")
	}
	objs := render(t, "dashboard.enabled=true")
	cm := find(objs, "ConfigMap", fullname+"-dashboard")
	if cm == nil {
		t.Fatal("no dashboard ConfigMap")
	}
	if cm.GetLabels()["grafana_dashboard"] != "1" {
		t.Errorf("labels = %v, want grafana_dashboard=1", cm.GetLabels())
	}
	raw, _, _ := unstructured.NestedString(cm.Object, "data", "retention-operator.json")
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal([]byte(raw), &dash); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	want := []struct{ title, metric string }{
		{"Segment sizes", "retention_segment_size{"},
		{"Retention rate", `retention_segment_metric{metric="retentionRate"`},
		{"Churn rate", `retention_segment_metric{metric="churnRate"`},
		{"Messages sent", "retention_campaign_sent_total{"},
		{"Campaign lift", "retention_campaign_lift{"},
		{"Loyalty liability", "retention_loyalty_liability{"},
	}
	if len(dash.Panels) != len(want) {
		t.Fatalf("dashboard has %d panels, want %d", len(dash.Panels), len(want))
	}
	for i, w := range want {
		p := dash.Panels[i]
		if p.Title != w.title || len(p.Targets) != 1 || !strings.Contains(p.Targets[0].Expr, w.metric) {
			t.Errorf("panel %d = %q %+v, want %q querying %s", i, p.Title, p.Targets, w.title, w.metric)
		}
	}
}

func TestRenderServiceMonitorAndNetworkPolicy(t *testing.T) {
	objs := render(t)
	if find(objs, "ServiceMonitor", fullname) != nil || find(objs, "NetworkPolicy", fullname) != nil {
		t.Fatal("ServiceMonitor or NetworkPolicy rendered by default")
	}
	objs = render(t, "serviceMonitor.enabled=true", "serviceMonitor.labels.release=kube-prometheus-stack", "networkPolicy.enabled=true",
		"networkPolicy.metrics.namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=monitoring")
	sm := find(objs, "ServiceMonitor", fullname)
	if sm == nil {
		t.Fatal("no ServiceMonitor")
	}
	if sm.GetAPIVersion() != "monitoring.coreos.com/v1" || sm.GetLabels()["release"] != "kube-prometheus-stack" {
		t.Errorf("ServiceMonitor apiVersion %s labels %v", sm.GetAPIVersion(), sm.GetLabels())
	}
	eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	ep := eps[0].(map[string]any)
	if ep["port"] != "https" || ep["scheme"] != "https" || ep["bearerTokenFile"] == nil {
		t.Errorf("ServiceMonitor endpoint = %v, want https port with bearer token", ep)
	}
	sel, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	svc := find(objs, "Service", fullname+"-metrics")
	for k, v := range sel {
		if svc.GetLabels()[k] != v {
			t.Errorf("ServiceMonitor selector %s=%s does not match the metrics Service labels %v", k, v, svc.GetLabels())
		}
	}
	np := find(objs, "NetworkPolicy", fullname)
	if np == nil {
		t.Fatal("no NetworkPolicy")
	}
	ingress, _, _ := unstructured.NestedSlice(np.Object, "spec", "ingress")
	if len(ingress) != 1 {
		t.Fatalf("ingress rules = %v, want 1", ingress)
	}
	in := ingress[0].(map[string]any)
	ports := in["ports"].([]any)
	from := in["from"].([]any)[0].(map[string]any)
	nsSel, _, _ := unstructured.NestedStringMap(from, "namespaceSelector", "matchLabels")
	if ports[0].(map[string]any)["port"] != "metrics" || nsSel["kubernetes.io/metadata.name"] != "monitoring" {
		t.Errorf("NetworkPolicy ingress = %v, want metrics port from namespace monitoring", in)
	}
}
