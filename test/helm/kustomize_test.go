package helm

import (
	"path/filepath"
	"testing"
)

// The kustomize install (make deploy) must be as applicable as the chart:
// kubectl's built-in kustomize renders config/default and the real API
// server accepts every object with server-side apply.
func TestKustomizeDefaultServerSideDryRun(t *testing.T) {
	_, kubeconfig := startAPIServer(t)
	x := newTool(t, kubeconfig)
	manifest := x.mustKubectl("kustomize", filepath.Join(repoRoot(t), "config", "default"))
	objs := decodeAll(t, manifest)
	counts := kindCounts(objs)
	for kind, want := range map[string]int{"CustomResourceDefinition": 5, "Deployment": 1, "ClusterRole": 3, "ServiceAccount": 1} {
		if counts[kind] != want {
			t.Errorf("kustomize renders %d %s, want %d", counts[kind], kind, want)
		}
	}
	// The namespace must exist for namespaced objects to dry-run; create it for real.
	x.mustKubectl("create", "namespace", "retention-system")
	x.serverSideDryRun(manifest, len(objs))
}
