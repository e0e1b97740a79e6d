package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// TestLoyaltyTokenFiles: the admin token is read from admin-token/<key> of
// adminTokenSecretRef; without that ref there is no admin token file, even
// when the API token's Secret is mounted at admin-token (as the controller did).
func TestLoyaltyTokenFiles(t *testing.T) {
	paths := workload.Paths{Root: t.TempDir()}
	at := func(dir, key string) string { return filepath.Join(paths.Root, workload.SecretsDir, dir, key) }
	apiFile := at(contract.APITokenDir, "token")
	tests := []struct {
		name      string
		admin     *v1alpha1.SecretKeySelector
		mounted   []string // admin-token keys present
		wantAdmin string
	}{
		{"separate admin token", &v1alpha1.SecretKeySelector{Name: "rewards-admin", Key: "admin"}, []string{"admin"},
			at(contract.AdminTokenDir, "admin")},
		{"separate admin token not mounted: still its path, so the API refuses to start", &v1alpha1.SecretKeySelector{Name: "rewards-admin", Key: "admin"}, nil,
			at(contract.AdminTokenDir, "admin")},
		{"no admin ref, the API token's Secret mounted at admin-token: no admin token", nil, []string{"token"}, ""},
		{"no admin ref, no admin-token mount: no admin token", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.RemoveAll(filepath.Join(paths.Root, workload.SecretsDir))
			for _, k := range tt.mounted {
				writeFile(t, at(contract.AdminTokenDir, k), "x")
			}
			prog := shopProgram()
			prog.Spec.APITokenSecretRef = v1alpha1.SecretKeySelector{Name: "rewards-api", Key: "token"}
			prog.Spec.AdminTokenSecretRef = tt.admin
			spec := prog.render(t)
			token, admin := loyaltyTokenFiles(&spec, paths)
			if token != apiFile || admin != tt.wantAdmin {
				t.Errorf("files = %s, %s; want %s, %s", token, admin, apiFile, tt.wantAdmin)
			}
		})
	}
}

// e2eAdminToken is the admin token the e2e tests mount with withAdminToken.
const e2eAdminToken = "admin-token-e2e"

// withAdminToken gives prog a separate admin token (spec.adminTokenSecretRef,
// key "admin"): adjustments, tier changes and expiring points, and so the
// awardPoints, tierChange and points_expiring playbooks, need one. Callers
// write e2eAdminToken to admin-token/admin for the loyalty worker and to
// loyalty/<program>/admin for the campaign worker, as the controller mounts it.
func withAdminToken(prog apiLoyalty) apiLoyalty {
	prog.Spec.AdminTokenSecretRef = &v1alpha1.SecretKeySelector{Name: "rewards-admin", Key: "admin"}
	return prog
}

// writeLoyaltyTokens mounts the loyalty worker's API token (token) and the
// admin token (e2eAdminToken) of withAdminToken's program.
func (r *localRun) writeLoyaltyTokens(t *testing.T, token string) {
	t.Helper()
	r.write(t, workload.SecretsDir+"/"+contract.APITokenDir+"/token", token)
	r.write(t, workload.SecretsDir+"/"+contract.AdminTokenDir+"/admin", e2eAdminToken)
}

// startWithTokens starts prog's loyalty worker with the API token apiToken
// and adminToken mounted as admin-token/<adminKey>, each a line as a Secret
// file may hold it; the caller stops the worker.
func startWithTokens(t *testing.T, prog apiLoyalty, apiToken, adminKey, adminToken string) *loyaltyWorker {
	t.Helper()
	r := newLocalRun(t, prog)
	r.write(t, workload.SecretsDir+"/"+contract.APITokenDir+"/token", apiToken+"\n")
	r.write(t, workload.SecretsDir+"/"+contract.AdminTokenDir+"/"+adminKey, adminToken+"\n")
	return startLoyalty(t, r)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestLoyaltyAdminTokenRoutes runs `worker loyalty` as the pod does: with
// spec.adminTokenSecretRef the shop token gets 403 on the admin routes and the
// admin token works; without it the admin routes are off, for every token.
func TestLoyaltyAdminTokenRoutes(t *testing.T) {
	const shop, admin = "shop-token-7", "admin-token-7"
	adjust := `{"points": 5, "reason": "goodwill"}`
	t.Run("separate", func(t *testing.T) {
		prog := shopProgram()
		prog.Spec.AdminTokenSecretRef = &v1alpha1.SecretKeySelector{Name: "rewards-admin", Key: "admin"}
		lw := startWithTokens(t, prog, shop, "admin", admin)
		defer lw.stop(t)
		if code, body := post(t, lw.base+"/v1/members/a/adjustments", shop, "k1", adjust); code != 403 || !strings.Contains(body, "adminTokenSecretRef") {
			t.Errorf("shop token adjusts: %d %s, want 403", code, body)
		}
		for _, path := range []string{"/v1/tier-changes", "/v1/expiring"} {
			if code, body := get(t, lw.base+path, shop); code != 403 {
				t.Errorf("shop token GET %s: %d %s, want 403", path, code, body)
			}
			if code, body := get(t, lw.base+path, admin); code != 200 {
				t.Errorf("admin token GET %s: %d %s, want 200", path, code, body)
			}
		}
		if code, body := post(t, lw.base+"/v1/members/a/adjustments", admin, "k2", adjust); code != 201 || !strings.Contains(body, `"available":85`) {
			t.Errorf("admin token adjusts: %d %s, want 201 with 80+5 available", code, body)
		}
		if code, body := get(t, lw.base+"/v1/members/a", shop); code != 200 || !strings.Contains(body, `"available":85`) {
			t.Errorf("shop token reads member: %d %s", code, body)
		}
	})
	// Without adminTokenSecretRef the admin routes are off, even with the API
	// token's Secret mounted at admin-token as the controller does.
	t.Run("shared", func(t *testing.T) {
		lw := startWithTokens(t, shopProgram(), shop, "token", shop)
		defer lw.stop(t)
		if code, body := post(t, lw.base+"/v1/members/a/adjustments", shop, "k1", adjust); code != 403 || !strings.Contains(body, "admin routes") {
			t.Errorf("API token adjusts without an admin token: %d %s, want 403 saying admin routes are off", code, body)
		}
		if code, body := get(t, lw.base+"/v1/expiring", shop); code != 403 {
			t.Errorf("API token GET /v1/expiring without an admin token: %d %s, want 403", code, body)
		}
		if code, body := get(t, lw.base+"/v1/members/a", shop); code != 200 || !strings.Contains(body, `"available":80`) {
			t.Errorf("shop token reads member: %d %s, want 80 available (nothing credited)", code, body)
		}
	})
	t.Run("separate but not mounted", func(t *testing.T) {
		prog := shopProgram()
		prog.Spec.AdminTokenSecretRef = &v1alpha1.SecretKeySelector{Name: "rewards-admin", Key: "admin"}
		r := newLocalRun(t, prog)
		r.write(t, workload.SecretsDir+"/"+contract.APITokenDir+"/token", shop+"\n")
		_, stderr, err := r.run(t, "loyalty", "--listen=127.0.0.1:0")
		want := filepath.Join(r.root, workload.SecretsDir, contract.AdminTokenDir, "admin")
		if err == nil || !strings.Contains(stderr, want) {
			t.Errorf("worker without its admin token file: err %v, stderr %s; want a failure naming %s", err, stderr, want)
		}
	})
}
