package loyalty

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	engine "github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// TestAPIRefusals: every refusal has the right status and a JSON body naming
// the problem and the field.
func TestAPIRefusals(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db, redemptionConfig(), day(0))
		order(t, ts, "A", "a1", 50)
		cases := []struct {
			name, method, path, token, body string
			headers                         []string
			code                            int
			field, errContains              string
		}{
			{"no token", "GET", "/v1/members/A", "", "", nil, 401, "Authorization", "bearer token"},
			{"wrong token", "GET", "/v1/members/A", "member-api-token-124", "", nil, 401, "Authorization", "bearer token"},
			{"token prefix only", "GET", "/v1/members/A", "member-api-token-12", "", nil, 401, "Authorization", "bearer token"},
			{"member token on admin route", "POST", "/v1/members/A/adjustments", apiToken, `{"points": 5, "reason": "x"}`, nil, 403, "Authorization", "does not authorize admin routes"},
			{"wrong token on admin route", "POST", "/v1/members/A/adjustments", "nope", `{"points": 5, "reason": "x"}`, nil, 401, "Authorization", "admin"},
			{"no token on redemption", "POST", "/v1/members/A/redemptions", "", `{"reward": "mug"}`, []string{"Idempotency-Key", "k"}, 401, "Authorization", ""},
			{"unknown member", "GET", "/v1/members/nobody", apiToken, "", nil, 404, "id", "unknown member"},
			{"unknown member history", "GET", "/v1/members/nobody/history", apiToken, "", nil, 404, "id", "unknown member"},
			{"unknown member redemption", "POST", "/v1/members/nobody/redemptions", apiToken, `{"reward": "mug"}`, []string{"Idempotency-Key", "k"}, 404, "id", "unknown member"},
			{"unknown reward", "POST", "/v1/members/A/redemptions", apiToken, `{"reward": "yacht"}`, []string{"Idempotency-Key", "k"}, 404, "reward", "unknown reward"},
			{"missing idempotency key", "POST", "/v1/members/A/redemptions", apiToken, `{"reward": "mug"}`, nil, 400, "Idempotency-Key", "required"},
			{"empty body", "POST", "/v1/members/A/redemptions", apiToken, "", []string{"Idempotency-Key", "k"}, 400, "body", "empty"},
			{"not json", "POST", "/v1/members/A/redemptions", apiToken, `reward=mug`, []string{"Idempotency-Key", "k"}, 400, "body", "not valid JSON"},
			{"reward wrong type", "POST", "/v1/members/A/redemptions", apiToken, `{"reward": 5}`, []string{"Idempotency-Key", "k"}, 400, "reward", "must be a JSON string"},
			{"reward missing", "POST", "/v1/members/A/redemptions", apiToken, `{}`, []string{"Idempotency-Key", "k"}, 400, "reward", "required"},
			{"unknown field", "POST", "/v1/members/A/redemptions", apiToken, `{"reward": "mug", "points": 1}`, []string{"Idempotency-Key", "k"}, 400, "points", `unknown field "points"`},
			{"adjustment without reason", "POST", "/v1/members/A/adjustments", adminToken, `{"points": 5}`, nil, 400, "reason", "required"},
			{"adjustment of zero", "POST", "/v1/members/A/adjustments", adminToken, `{"points": 0, "reason": "x"}`, nil, 400, "points", "non-zero"},
			{"adjustment points as string", "POST", "/v1/members/A/adjustments", adminToken, `{"points": "5", "reason": "x"}`, nil, 400, "points", "whole number"},
			{"debit beyond balance", "POST", "/v1/members/A/adjustments", adminToken, `{"points": -51, "reason": "fraud"}`, nil, 409, "points", "50 available, 51 needed"},
			{"bad history limit", "GET", "/v1/members/A/history?limit=0", apiToken, "", nil, 400, "limit", "1 to 500"},
			{"bad tier cursor", "GET", "/v1/tier-changes?after=x", adminToken, "", nil, 400, "after", "change id"},
			{"one mug", "POST", "/v1/members/A/redemptions", apiToken, `{"reward": "mug"}`, []string{"Idempotency-Key", "k9"}, 201, "", ""},
		}
		for _, c := range cases {
			r := ts.do(t, c.method, c.path, c.token, c.body, c.headers...)
			if r.code != c.code {
				t.Fatalf("%s: status %d %s, want %d", c.name, r.code, r.body, c.code)
			}
			if c.code < 400 {
				continue
			}
			var e struct{ Error, Field string }
			r.json(t, &e)
			if e.Field != c.field || !strings.Contains(e.Error, c.errContains) {
				t.Fatalf("%s: body %s, want field %q and error containing %q", c.name, r.body, c.field, c.errContains)
			}
			if r.header.Get("Content-Type") != "application/json" {
				t.Fatalf("%s: content type %q", c.name, r.header.Get("Content-Type"))
			}
		}
		// Nothing above changed A's balance except the one successful mug: 50 - 10.
		wantAvailable(t, ts, "A", 40)
	})
}

// TestAPIMemberIsolation: a member's routes show and touch that member only.
func TestAPIMemberIsolation(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db, redemptionConfig(), day(0))
		order(t, ts, "A", "a1", 30)
		order(t, ts, "B", "b1", 70)
		order(t, ts, "B", "b2", 5)
		if r := ts.do(t, "POST", "/v1/members/B/redemptions", apiToken, `{"reward": "mug"}`, "Idempotency-Key", "same"); r.code != 201 {
			t.Fatal(r.code, string(r.body))
		}
		// A reuses B's idempotency key: keys are per member, so A gets A's own redemption.
		r := ts.do(t, "POST", "/v1/members/A/redemptions", apiToken, `{"reward": "mug"}`, "Idempotency-Key", "same")
		var red store.Redemption
		r.json(t, &red)
		if r.code != 201 || red.Available != 20 || r.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("A with B's key: %d %s, want A's own redemption leaving 20", r.code, r.body)
		}
		var h struct{ Entries []store.Entry }
		ts.do(t, "GET", "/v1/members/A/history", apiToken, "").json(t, &h)
		if len(h.Entries) != 2 || h.Entries[0].Kind != "redeem" || h.Entries[1].Ref != "a1" {
			t.Fatalf("A history %+v, want A's redeem and order a1 only", h.Entries)
		}
		raw := ts.do(t, "GET", "/v1/members/A/history", apiToken, "").body
		if strings.Contains(string(raw), "b1") || strings.Contains(string(raw), "b2") || strings.Contains(string(raw), `"B"`) {
			t.Fatalf("A's history mentions B: %s", raw)
		}
		wantAvailable(t, ts, "A", 20)
		wantAvailable(t, ts, "B", 65) // 70 + 5 - 10
		// Path tricks do not reach another member.
		if r := ts.do(t, "GET", "/v1/members/A%2F..%2FB", apiToken, ""); r.code != 404 {
			t.Fatalf("encoded path: %d %s, want 404", r.code, r.body)
		}
	})
}

// TestAPIServiceEndpoints: OpenAPI document, health, readiness and metrics.
func TestAPIServiceEndpoints(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, testdb.SQLite(t), store.Open), redemptionConfig(), day(0))
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	r := ts.do(t, "GET", "/openapi.json", "", "")
	if err := json.Unmarshal(r.body, &doc); err != nil || doc.OpenAPI != "3.0.3" {
		t.Fatalf("openapi: %v %q", err, doc.OpenAPI)
	}
	for _, p := range []string{"/v1/members/{id}", "/v1/members/{id}/history", "/v1/members/{id}/redemptions", "/v1/members/{id}/adjustments", "/v1/members/{id}/erasure", "/v1/tier-changes", "/v1/expiring"} {
		if doc.Paths[p] == nil {
			t.Fatalf("openapi lacks %s", p)
		}
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := ts.do(t, "GET", p, "", ""); r.code != 200 {
			t.Fatalf("%s: %d", p, r.code)
		}
	}
	ts.do(t, "GET", "/v1/members/x", "", "")
	m := ts.do(t, "GET", "/metrics", "", "")
	if !strings.Contains(string(m.body), `loyalty_http_requests_total{code="401",route="GET /v1/members/{id}"} 1`) {
		t.Fatalf("metrics lack the request counter by route pattern:\n%s", m.body)
	}
}

// TestAPITierChangesAndExpiring: the admin feeds for tierChange and
// expiry-reminder playbooks, read with a cursor.
func TestAPITierChangesAndExpiring(t *testing.T) {
	cfg := redemptionConfig()
	cfg.Tiers = []engine.Tier{{Name: "silver", Threshold: 100, Window: loyaltyDays(365), DowngradeGrace: loyaltyDays(30)}}
	cfg.PointsExpiry = &engine.PointsExpiry{Mode: engine.ExpiryFixed, After: loyaltyDays(90), WarningWindow: loyaltyDays(14)}
	ts := newTestServer(t, testdb.Open(t, testdb.SQLite(t), store.Open), cfg, day(0))
	order(t, ts, "A", "a1", 150) // silver; 150 points expire at day 90
	order(t, ts, "B", "b1", 20)
	var feed struct {
		Changes []store.TierChangeRow
		Cursor  int64
	}
	r := ts.do(t, "GET", "/v1/tier-changes?after=0", adminToken, "")
	r.json(t, &feed)
	if r.code != 200 || len(feed.Changes) != 1 || feed.Changes[0].MemberID != "A" || feed.Changes[0].To != "silver" || feed.Cursor != feed.Changes[0].ID {
		t.Fatalf("tier changes: %d %s", r.code, r.body)
	}
	ts.do(t, "GET", fmt.Sprintf("/v1/tier-changes?after=%d", feed.Cursor), adminToken, "").json(t, &feed)
	if len(feed.Changes) != 0 {
		t.Fatalf("changes after the cursor: %+v", feed.Changes)
	}
	if r := ts.do(t, "GET", "/v1/tier-changes", apiToken, ""); r.code != 403 {
		t.Fatalf("member token on the admin feed: %d, want 403 (separate admin token)", r.code)
	}
	ts.now = day(80) // warning window (80, 94] holds day 90
	var exp struct{ Members []store.ExpiringMember }
	ts.do(t, "GET", "/v1/expiring", adminToken, "").json(t, &exp)
	if len(exp.Members) != 2 || exp.Members[0].MemberID != "A" || exp.Members[0].Points != 150 || !exp.Members[0].At.Equal(day(90)) || exp.Members[1].Points != 20 {
		t.Fatalf("expiring: %+v", exp.Members)
	}
}
