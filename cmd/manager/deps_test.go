package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestManagerLinksNoDataDriverOrMail: the manager reads no customer data and
// sends nothing, so no database driver and no mail library may be linked
// into it (worker-side mappings live in internal/specmap/connect).
func TestManagerLinksNoDataDriverOrMail(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/jackc/pgx", "modernc.org/sqlite", "github.com/wneessen/go-mail",
			"retention-operator/internal/datasource", "retention-operator/internal/store", "retention-operator/internal/channel"} {
			if strings.HasPrefix(dep, banned) && dep != "github.com/retention-dev/retention-operator/internal/channel/urlpolicy" {
				t.Errorf("the manager links %s", dep)
			}
		}
	}
}
