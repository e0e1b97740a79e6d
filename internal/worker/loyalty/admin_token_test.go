package loyalty

import (
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/internal/store"
)

// TestAdminToken: with a separate admin token the shop's API token is refused
// (403) on every admin route while the admin token works there and on member
// routes; without one (no admin file, or the admin file holds the API token)
// the admin routes are off for every token.
func TestAdminToken(t *testing.T) {
	adminRoutes := []struct{ method, path, body string }{
		{"POST", "/v1/members/A/adjustments", `{"points": 5, "reason": "goodwill"}`},
		{"GET", "/v1/tier-changes", ""},
		{"GET", "/v1/expiring", ""},
	}
	adminOK := map[string]int{"POST": 201, "GET": 200}
	eachDB(t, func(t *testing.T, db *store.DB) {
		t.Run("separate", func(t *testing.T) {
			ts := newTestServer(t, db, redemptionConfig(), day(0))
			order(t, ts, "A", "a1", 50)
			for _, rt := range adminRoutes {
				r := ts.do(t, rt.method, rt.path, apiToken, rt.body, "Idempotency-Key", "shop-1")
				var e struct{ Error, Field string }
				if r.code == 403 {
					r.json(t, &e)
				}
				if r.code != 403 || e.Field != "Authorization" || !strings.Contains(e.Error, "spec.adminTokenSecretRef") {
					t.Errorf("API token on %s %s: %d %s, want 403 naming spec.adminTokenSecretRef", rt.method, rt.path, r.code, r.body)
				}
				if r := ts.do(t, rt.method, rt.path, adminToken, rt.body, "Idempotency-Key", "admin-1"); r.code != adminOK[rt.method] {
					t.Errorf("admin token on %s %s: %d %s", rt.method, rt.path, r.code, r.body)
				}
			}
			wantAvailable(t, ts, "A", 55) // the admin's +5 only; the refused shop call added nothing
			if r := ts.do(t, "GET", "/v1/members/A", adminToken, ""); r.code != 200 {
				t.Errorf("admin token on a member route: %d %s", r.code, r.body)
			}
		})
		// Without a separate admin token (the admin file is the API token file,
		// or there is none) the admin routes are off: the shop's token once
		// credited any member any number of points.
		for name, shared := range map[string]bool{"shared": true, "none": false} {
			t.Run(name, func(t *testing.T) {
				var ts *testServer
				if shared {
					ts = newTestServerTokens(t, db, redemptionConfig(), day(0), true)
				} else {
					ts = newTestServerNoAdmin(t, db, redemptionConfig(), day(0))
				}
				order(t, ts, "B", "b1", 50)
				for _, rt := range adminRoutes {
					path := strings.Replace(rt.path, "/A/", "/B/", 1)
					r := ts.do(t, rt.method, path, apiToken, rt.body, "Idempotency-Key", "shop-1")
					var e struct{ Error, Field string }
					if r.code == 403 {
						r.json(t, &e)
					}
					if r.code != 403 || e.Field != "Authorization" || !strings.Contains(e.Error, "admin routes") || !strings.Contains(e.Error, "spec.adminTokenSecretRef") {
						t.Errorf("API token on %s %s without an admin token: %d %s, want 403 saying admin routes are off", rt.method, path, r.code, r.body)
					}
				}
				if r := ts.do(t, "GET", "/v1/members/B", apiToken, ""); r.code != 200 {
					t.Errorf("member route: %d %s", r.code, r.body)
				}
				wantAvailable(t, ts, "B", 50) // the refused adjustment credited nothing
			})
		}
	})
}
