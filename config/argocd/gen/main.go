// Command gen writes config/argocd/argocd-cm-patch.yaml from the shared
// config/argocd/health/retention.dev/_/health.lua. Run from the repository
// root: go run ./config/argocd/gen
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/retention-dev/retention-operator/config/argocd"
)

func main() {
	dir := filepath.Join("config", "argocd")
	out, err := argocd.RenderConfigMapPatch(filepath.Join(dir, "health"))
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "argocd-cm-patch.yaml"), out, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
