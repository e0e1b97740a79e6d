package gitops

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/retention-dev/retention-operator/config/argocd"
)

// healthDir is config/argocd/health, relative to this package.
var healthDir = filepath.Join("..", "..", "config", "argocd", "health")

// healthTests is a health_test.yaml, Argo CD's format.
type healthTests struct {
	Tests []struct {
		HealthStatus healthStatus `json:"healthStatus"`
		InputPath    string       `json:"inputPath"`
	} `json:"tests"`
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// readLua reads the health.lua that serves every kind.
func readLua(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(argocd.HealthScript(healthDir))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestArgoCDHealthChecks runs the shared health.lua against every case in
// each kind's health_test.yaml, as Argo CD's own resource_customizations test
// does.
func TestArgoCDHealthChecks(t *testing.T) {
	got, err := argocd.Kinds(healthDir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, kinds) {
		t.Fatalf("health checks for %v, want %v", got, kinds)
	}
	script := readLua(t)
	for _, kind := range kinds {
		dir := filepath.Join(healthDir, argocd.Group, kind)
		var tests healthTests
		readYAML(t, filepath.Join(dir, "health_test.yaml"), &tests)
		seen := map[string]bool{}
		statuses := map[string]bool{}
		for _, tc := range tests.Tests {
			seen[filepath.Base(tc.InputPath)] = true
			statuses[tc.HealthStatus.Status] = true
			t.Run(kind+"/"+tc.InputPath, func(t *testing.T) {
				var obj map[string]any
				readYAML(t, filepath.Join(dir, tc.InputPath), &obj)
				if obj["kind"] != kind || obj["apiVersion"] != "retention.dev/v1alpha1" {
					t.Fatalf("testdata is %v %v, want retention.dev/v1alpha1 %s", obj["apiVersion"], obj["kind"], kind)
				}
				hs, err := runHealthLua(script, obj)
				if err != nil {
					t.Fatalf("health.lua: %v", err)
				}
				if hs != tc.HealthStatus {
					t.Fatalf("health = %+v, want %+v", hs, tc.HealthStatus)
				}
			})
		}
		// Every testdata file is exercised, and every outcome is covered.
		files, err := os.ReadDir(filepath.Join(dir, "testdata"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if !seen[f.Name()] {
				t.Errorf("%s/testdata/%s is not listed in health_test.yaml", kind, f.Name())
			}
		}
		want := []string{"Degraded", "Healthy", "Progressing"}
		if kind == "Playbook" {
			want = append(want, "Suspended")
		}
		var covered []string
		for s := range statuses {
			covered = append(covered, s)
		}
		sort.Strings(covered)
		if !reflect.DeepEqual(covered, want) {
			t.Errorf("%s health_test.yaml covers %v, want %v", kind, covered, want)
		}
	}
}

// TestArgoCDHealthOnAPIObjects runs the health checks on objects built from
// the Go API types (so a renamed status field breaks this test).
func TestArgoCDHealthOnAPIObjects(t *testing.T) {
	script := readLua(t)
	for _, kind := range kinds {
		for _, tc := range statusCases(kind) {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				hs, err := runHealthLua(script, newObject(t, kind, tc.state).Object)
				if err != nil {
					t.Fatalf("health.lua: %v", err)
				}
				if hs.Status != tc.argo || hs.Message != tc.argoMessage {
					t.Fatalf("health = %+v, want %s %q", hs, tc.argo, tc.argoMessage)
				}
			})
		}
	}
}

// TestArgoCDHealthScriptIsShared fails when a kind gets a health.lua of its
// own: in Argo CD's layout it would take the place of the shared script
// (retention.dev/_) for that kind and could drift from it unnoticed.
func TestArgoCDHealthScriptIsShared(t *testing.T) {
	for _, kind := range kinds {
		own := filepath.Join(healthDir, argocd.Group, kind, "health.lua")
		if _, err := os.Stat(own); !os.IsNotExist(err) {
			t.Errorf("%s exists (err %v): change %s instead, it serves every kind", own, err, argocd.HealthScript(healthDir))
		}
	}
}

// TestArgoCDConfigMapPatchInSync fails when argocd-cm-patch.yaml was not
// regenerated after a health.lua changed, and checks that YAML parsing gives
// back each script byte for byte.
func TestArgoCDConfigMapPatchInSync(t *testing.T) {
	patchFile := filepath.Join(healthDir, "..", "argocd-cm-patch.yaml")
	want, err := argocd.RenderConfigMapPatch(healthDir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(patchFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s is stale: run `go run ./config/argocd/gen`", patchFile)
	}
	var cm struct {
		Kind     string            `json:"kind"`
		Metadata map[string]any    `json:"metadata"`
		Data     map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(got, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Kind != "ConfigMap" || cm.Metadata["name"] != "argocd-cm" {
		t.Fatalf("patch is %s %v, want ConfigMap argocd-cm", cm.Kind, cm.Metadata["name"])
	}
	if len(cm.Data) != len(kinds) {
		t.Fatalf("patch has %d keys, want %d", len(cm.Data), len(kinds))
	}
	script := readLua(t)
	for _, kind := range kinds {
		key := "resource.customizations.health.retention.dev_" + kind
		if cm.Data[key] != script {
			t.Errorf("%s does not round-trip to %s", key, argocd.HealthScript(healthDir))
		}
	}
}
