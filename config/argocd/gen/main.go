// Command gen writes each kind's health.lua from config/argocd/health.lua.tmpl
// and config/argocd/argocd-cm-patch.yaml from them. Run from the repository
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
	kinds, err := argocd.Kinds(filepath.Join(dir, "health"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for _, kind := range kinds {
		lua, err := argocd.RenderHealth(kind)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "health", argocd.Group, kind, "health.lua"), lua, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
	out, err := argocd.RenderConfigMapPatch(filepath.Join(dir, "health"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(filepath.Join(dir, "argocd-cm-patch.yaml"), out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
