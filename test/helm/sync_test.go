package helm

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestChartClusterRoleMatchesGeneratedRole fails when the chart's manager
// ClusterRole and config/rbac/role.yaml (generated from the controllers'
// +kubebuilder:rbac markers) grant different permissions.
func TestChartClusterRoleMatchesGeneratedRole(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatalf("read generated role (run `make manifests`): %v", err)
	}
	var generated struct {
		Rules []rule `json:"rules"`
	}
	if err := yaml.Unmarshal(data, &generated); err != nil {
		t.Fatal(err)
	}
	chart := find(render(t), "ClusterRole", fullname+"-manager")
	if chart == nil {
		t.Fatal("manager ClusterRole not rendered")
	}
	want, got := permissions(generated.Rules), permissions(rulesOf(t, chart))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("chart ClusterRole grants\n%s\n\nconfig/rbac/role.yaml grants\n%s\n\ncopy the rules into charts/retention-operator/templates/clusterrole.yaml",
			strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(want) == 0 {
		t.Fatal("config/rbac/role.yaml grants nothing")
	}
}

// permissions flattens rules into sorted group/resource:verb strings, so rule
// grouping and ordering do not matter.
func permissions(rules []rule) []string {
	set := map[string]bool{}
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					set[g+"/"+res+":"+v] = true
				}
			}
		}
		for _, u := range r.NonResourceURLs {
			for _, v := range r.Verbs {
				set[u+":"+v] = true
			}
		}
	}
	out := slices.Sorted(maps.Keys(set))
	return out
}

// TestChartCRDsMatchGenerated fails when charts/.../templates/crds is stale:
// each file must be config/crd/bases wrapped the way hack/sync-chart-crds.sh
// wraps it (crds.enabled guard, keep annotation under crds.keep).
func TestChartCRDsMatchGenerated(t *testing.T) {
	root := repoRoot(t)
	bases, err := filepath.Glob(filepath.Join(root, "config", "crd", "bases", "*.yaml"))
	if err != nil || len(bases) != 5 {
		t.Fatalf("config/crd/bases has %d CRDs (%v), want 5", len(bases), err)
	}
	chartFiles, _ := filepath.Glob(filepath.Join(chartDir(t), "templates", "crds", "*.yaml"))
	if len(chartFiles) != len(bases) {
		t.Fatalf("chart has %d CRD templates, config/crd/bases %d: run hack/sync-chart-crds.sh", len(chartFiles), len(bases))
	}
	for _, base := range bases {
		src, err := os.ReadFile(base)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(chartDir(t), "templates", "crds", filepath.Base(base)))
		if err != nil {
			t.Fatalf("%v: run hack/sync-chart-crds.sh", err)
		}
		if string(got) != wrapCRD(string(src)) {
			t.Errorf("templates/crds/%s differs from config/crd/bases: run hack/sync-chart-crds.sh", filepath.Base(base))
		}
	}
}

// wrapCRD is what hack/sync-chart-crds.sh writes for one generated CRD.
func wrapCRD(src string) string {
	var b strings.Builder
	b.WriteString("{{- if .Values.crds.enabled }}\n")
	done := false
	for _, line := range strings.SplitAfter(src, "\n") {
		if line == "" {
			continue
		}
		b.WriteString(line)
		if !done && line == "  annotations:\n" {
			b.WriteString("    {{- if .Values.crds.keep }}\n    helm.sh/resource-policy: keep\n    {{- end }}\n")
			done = true
		}
	}
	b.WriteString("{{- end }}\n")
	return b.String()
}
