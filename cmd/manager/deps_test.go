package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestManagerLinksNoDataDriverOrMail: the manager reads no customer data and
// sends nothing, so no database driver and no mail library may be linked
// into it. It renders the engines' configurations, whose plain types live in
// driver-free leaves (allowed below); everything else of the connector and
// sender packages stays out.
func TestManagerLinksNoDataDriverOrMail(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/jackc/pgx", "modernc.org/sqlite", "github.com/wneessen/go-mail",
			"retention-operator/internal/datasource", "retention-operator/internal/store", "retention-operator/internal/channel"} {
			if strings.HasPrefix(dep, banned) && !driverFreeLeaves[dep] {
				t.Errorf("the manager links %s", dep)
			}
		}
	}
}

// driverFreeLeaves are packages under the banned trees that import no driver
// and no mail library (the pgx, sqlite and go-mail bans above still check it).
var driverFreeLeaves = map[string]bool{
	"github.com/retention-dev/retention-operator/internal/channel/urlpolicy":       true,
	"github.com/retention-dev/retention-operator/internal/channel/senderconfig":    true,
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig": true,
}
