package loyalty

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/internal/store"
)

// TestErasureRoute: POST /v1/members/{id}/erasure needs the admin token
// (401 without a token, 403 with the shop's token or while admin routes are
// off, changing nothing); with it the member is gone from the ledger, the
// program's totals are unchanged, the answer does not hold the id, and a
// repeat is harmless.
func TestErasureRoute(t *testing.T) {
	const id = "member-ada-4711"
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ts := newTestServer(t, db, redemptionConfig(), day(0))
		order(t, ts, id, "ada-o1", 50)
		order(t, ts, "member-bob-0815", "bob-o1", 30)
		if r := ts.do(t, "POST", "/v1/members/"+id+"/redemptions", apiToken, `{"reward": "mug"}`, "Idempotency-Key", "mug-for-"+id); r.code != 201 {
			t.Fatalf("redeem: %d %s", r.code, r.body)
		}
		totals := func() store.LedgerTotals {
			t.Helper()
			tot, err := ts.points.Totals(ctx, day(-1), day(1))
			if err != nil {
				t.Fatal(err)
			}
			return tot
		}
		before := totals()
		path := "/v1/members/" + id + "/erasure"
		for _, tok := range []string{"", "wrong-token"} {
			if r := ts.do(t, "POST", path, tok, ""); r.code != 401 {
				t.Errorf("token %q: %d %s, want 401", tok, r.code, r.body)
			}
		}
		if r := ts.do(t, "POST", path, apiToken, ""); r.code != 403 || !strings.Contains(string(r.body), "spec.adminTokenSecretRef") {
			t.Errorf("API token: %d %s, want 403", r.code, r.body)
		}
		off := newTestServerNoAdmin(t, db, redemptionConfig(), day(0))
		if r := off.do(t, "POST", path, apiToken, ""); r.code != 403 || !strings.Contains(string(r.body), "erasure") {
			t.Errorf("admin routes off: %d %s, want 403", r.code, r.body)
		}
		wantAvailable(t, ts, id, 40) // still there after every refused call

		r := ts.do(t, "POST", path, adminToken, "")
		if r.code != 200 || strings.Contains(string(r.body), id) {
			t.Fatalf("admin token: %d %s, want 200 without the id", r.code, r.body)
		}
		var e store.Erasure
		r.json(t, &e)
		if e.Run != 1 || e.Rows["points_members"] != 1 || e.Rows["points_entries"] != 2 || e.Rows["points_lots"] != 1 {
			t.Fatalf("erasure %+v, want run 1: the member, 2 entries (order, redemption), 1 lot", e)
		}
		if r := ts.do(t, "GET", "/v1/members/"+id, adminToken, ""); r.code != 404 {
			t.Errorf("erased member: %d %s, want 404", r.code, r.body)
		}
		for _, table := range []string{"points_members", "points_entries", "points_lots", "points_tier_changes"} {
			var n int
			if err := db.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE member_id = $1`, id).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s rows of the member after erasure: %d, %v", table, n, err)
			}
		}
		if after := totals(); !reflect.DeepEqual(after, before) || after.Available == 0 {
			t.Errorf("totals moved: before %+v after %+v", before, after)
		}
		wantAvailable(t, ts, "member-bob-0815", 30)

		r = ts.do(t, "POST", path, adminToken, "")
		var again store.Erasure
		r.json(t, &again)
		if r.code != 200 || again.Run != 2 || again.Touched() != 0 || again.Pseudonym != e.Pseudonym {
			t.Errorf("repeat: %d %+v", r.code, again)
		}
		if r := ts.do(t, "POST", "/v1/members/"+strings.Repeat("x", 300)+"/erasure", adminToken, ""); r.code != 400 || !strings.Contains(string(r.body), `"field":"id"`) {
			t.Errorf("overlong id: %d %s, want 400 naming id", r.code, r.body)
		}
	})
}
