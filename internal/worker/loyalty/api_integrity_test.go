package loyalty

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	engine "github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// wantHistorySumsToBalance reads every listed member's history and balance
// through the API: the entries must add up to available plus pending.
func wantHistorySumsToBalance(t *testing.T, ts *testServer, members ...string) {
	t.Helper()
	for _, m := range members {
		var v store.MemberView
		r := ts.do(t, "GET", "/v1/members/"+m, apiToken, "")
		if r.code != 200 {
			t.Fatalf("GET member %s: %d %s", m, r.code, r.body)
		}
		r.json(t, &v)
		var h struct{ Entries []store.Entry }
		ts.do(t, "GET", "/v1/members/"+m+"/history?limit=500", apiToken, "").json(t, &h)
		var sum int64
		for _, e := range h.Entries {
			sum += e.Points
		}
		if sum != v.Available+v.Pending || v.Available < 0 {
			t.Errorf("member %s: history sums to %d over %d entries, balance %d + %d pending", m, sum, len(h.Entries), v.Available, v.Pending)
		}
	}
}

// TestAPIHostileBodies: every body the old decoder accepted or mishandled is
// refused with a 4xx naming the field, and spends nothing.
func TestAPIHostileBodies(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db, redemptionConfig(), day(0))
		order(t, ts, "A", "a1", 50)
		redeem := "/v1/members/A/redemptions"
		adjust := "/v1/members/A/adjustments"
		cases := []struct {
			name, path, body string
			code             int
			field, contains  string
		}{
			{"trailing garbage", redeem, `{"reward":"mug"}}garbage`, 400, "body", "after the JSON object"},
			{"two objects", redeem, `{"reward":"mug"}{"reward":"mug"}`, 400, "body", "exactly one object"},
			{"trailing scalar", redeem, `{"reward":"mug"} 1`, 400, "body", "after the JSON object"},
			{"case-folded name", redeem, `{"Reward":"mug"}`, 400, "Reward", `unknown field "Reward"`},
			{"duplicate name", redeem, `{"reward":"cap","reward":"mug"}`, 400, "reward", "twice"},
			{"unknown field", redeem, `{"reward":"mug","points":1}`, 400, "points", `unknown field "points"`},
			{"array", redeem, `[{"reward":"mug"}]`, 400, "body", "one JSON object"},
			{"truncated", redeem, `{"reward":"mug"`, 400, "body", "not valid JSON"},
			{"too large", redeem, `{"reward":"` + strings.Repeat("m", maxBodyBytes) + `"}`, 413, "body", "larger than"},
			{"max int64", adjust, `{"points": 9223372036854775807, "reason": "x"}`, 400, "points", "from -1000000000 to 1000000000"},
			{"min int64", adjust, `{"points": -9223372036854775808, "reason": "x"}`, 400, "points", "from -1000000000 to 1000000000"},
			{"beyond int64", adjust, `{"points": 9223372036854775808, "reason": "x"}`, 400, "points", "whole number"},
			{"fraction", adjust, `{"points": 1.5, "reason": "x"}`, 400, "points", "whole number"},
			{"exponent", adjust, `{"points": 1e3, "reason": "x"}`, 400, "points", "whole number"},
			{"adjustment trailing", adjust, `{"points": 5, "reason": "x"}{"points": 5, "reason": "x"}`, 400, "body", "exactly one object"},
			{"huge reason", adjust, `{"points": 5, "reason": "` + strings.Repeat("r", 2000) + `"}`, 400, "reason", "1 to 1000"},
		}
		for _, c := range cases {
			tok := apiToken
			if c.path == adjust {
				tok = adminToken
			}
			r := ts.do(t, "POST", c.path, tok, c.body, "Idempotency-Key", "k-"+c.name)
			var e struct{ Error, Field string }
			if r.code >= 400 {
				r.json(t, &e)
			}
			if r.code != c.code || e.Field != c.field || !strings.Contains(e.Error, c.contains) {
				t.Errorf("%s: %d %s; want %d naming %q with %q", c.name, r.code, r.body, c.code, c.field, c.contains)
			}
		}
		wantAvailable(t, ts, "A", 50) // nothing was spent or credited
		wantHistorySumsToBalance(t, ts, "A")
	})
}

// TestAPIBalanceBound: credits past loyalty.MaxBalance get 422 naming points
// and the bound; the member stays readable and redeemable (math.MinInt64 once
// made both return 500 forever).
func TestAPIBalanceBound(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db, redemptionConfig(), day(0))
		order(t, ts, "A", "a1", float64(engine.MaxBalance-engine.MaxAdjustment))
		if r := ts.do(t, "POST", "/v1/members/A/adjustments", adminToken, fmt.Sprintf(`{"points": %d, "reason": "x"}`, engine.MaxAdjustment), "Idempotency-Key", "fill"); r.code != 201 {
			t.Fatalf("credit to the bound: %d %s", r.code, r.body)
		}
		r := ts.do(t, "POST", "/v1/members/A/adjustments", adminToken, `{"points": 1, "reason": "x"}`, "Idempotency-Key", "over")
		if r.code != 422 || !strings.Contains(string(r.body), `"field":"points"`) || !strings.Contains(string(r.body), fmt.Sprint(engine.MaxBalance)) {
			t.Fatalf("credit past the bound: %d %s, want 422 naming points and %d", r.code, r.body, engine.MaxBalance)
		}
		for _, p := range []int64{math.MaxInt64, math.MinInt64} {
			if r := ts.do(t, "POST", "/v1/members/A/adjustments", adminToken, fmt.Sprintf(`{"points": %d, "reason": "x"}`, p), "Idempotency-Key", fmt.Sprint(p)); r.code != 400 {
				t.Fatalf("adjust %d: %d %s", p, r.code, r.body)
			}
		}
		if r := ts.do(t, "POST", "/v1/members/A/redemptions", apiToken, `{"reward":"mug"}`, "Idempotency-Key", "r1"); r.code != 201 {
			t.Fatalf("redeem after refused adjustments: %d %s", r.code, r.body)
		}
		wantAvailable(t, ts, "A", engine.MaxBalance-10)
		wantHistorySumsToBalance(t, ts, "A")
	})
}

// TestAPICollidingKeysAndRacingRetries: keys that joined into one source key
// stay separate; a retry racing its first request gets the first answer (no
// 5xx, one debit); and every member's history still sums to its balance.
func TestAPICollidingKeysAndRacingRetries(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db, redemptionConfig(), day(0))
		order(t, ts, "x", "o1", 100)
		order(t, ts, "x:y", "o2", 100)
		var first, second store.Adjustment
		ts.do(t, "POST", "/v1/members/x/adjustments", adminToken, `{"points": 5, "reason": "a"}`, "Idempotency-Key", "y:k").json(t, &first)
		for range 3 {
			r := ts.do(t, "POST", "/v1/members/x:y/adjustments", adminToken, `{"points": 7, "reason": "b"}`, "Idempotency-Key", "k")
			r.json(t, &second)
			if r.code != 201 || second.ID == 0 || second.ID == first.ID || second.Available != 107 {
				t.Fatalf("member x:y key k: %d %s; want its own adjustment leaving 107", r.code, r.body)
			}
		}
		const keys = 30
		members := []string{"x", "x:y"}
		for i := range keys {
			members = append(members, fmt.Sprint("race-", i))
			order(t, ts, members[len(members)-1], fmt.Sprint("ro", i), 100)
		}
		codes := make([][2]int, keys)
		ids := make([][2]string, keys)
		var wg sync.WaitGroup
		for i := range keys {
			for j := range 2 {
				wg.Go(func() {
					r := ts.do(t, "POST", fmt.Sprintf("/v1/members/race-%d/redemptions", i), apiToken, `{"reward":"mug"}`, "Idempotency-Key", "same")
					var red store.Redemption
					if r.code == 201 {
						r.json(t, &red)
					}
					codes[i][j], ids[i][j] = r.code, fmt.Sprint(red.ID)
				})
			}
		}
		wg.Wait()
		for i := range keys {
			if codes[i] != [2]int{201, 201} || ids[i][0] != ids[i][1] {
				t.Errorf("race %d: codes %v ids %v; want two 201s with one redemption id", i, codes[i], ids[i])
			}
			wantAvailable(t, ts, fmt.Sprint("race-", i), 90)
		}
		wantHistorySumsToBalance(t, ts, members...)
	})
}

// TestAPILogsServerErrors: a 5xx is logged with its cause and route pattern,
// never with the member id in the path or a token.
func TestAPILogsServerErrors(t *testing.T) {
	db := testdb.Open(t, testdb.SQLite(t), store.Open)
	cfg := redemptionConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	p, err := store.OpenPoints(context.Background(), db, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	os.WriteFile(tok, []byte(apiToken), 0o600)
	api, err := NewAPI(p, &cfg, time.Now, tok, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	api.log = slog.New(slog.NewTextHandler(&logs, nil))
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	ts := &testServer{Server: srv, points: p}
	db.Close() // every query now fails: the store's error is the cause to log
	const member = "bob.jones@example.com"
	if r := ts.do(t, "GET", "/v1/members/"+member, apiToken, ""); r.code != 500 || strings.Contains(string(r.body), "closed") {
		t.Fatalf("GET with the store closed: %d %s; want 500 without details", r.code, r.body)
	}
	if r := ts.do(t, "POST", "/v1/members/"+member+"/redemptions", apiToken, `{"reward":"mug"}`, "Idempotency-Key", "k"); r.code != 500 {
		t.Fatalf("redeem with the store closed: %d %s", r.code, r.body)
	}
	out := logs.String()
	for _, want := range []string{`route="GET /v1/members/{id}"`, `route="POST /v1/members/{id}/redemptions"`, "status=500", "database is closed"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, leak := range []string{member, "bob.jones", apiToken} {
		if strings.Contains(out, leak) {
			t.Errorf("log carries %q:\n%s", leak, out)
		}
	}
}

// TestOpenAPIStatesTheBounds: the OpenAPI document repeats the request
// bounds as literals; this keeps them equal to the constants the API enforces.
func TestOpenAPIStatesTheBounds(t *testing.T) {
	doc := string(openAPIDocument)
	for _, want := range []string{
		fmt.Sprintf(`"minimum": %d, "maximum": %d`, -engine.MaxAdjustment, engine.MaxAdjustment),
		fmt.Sprintf(`"maxLength": %d`, maxReasonBytes),
		fmt.Sprintf("larger than %d KiB", maxBodyBytes>>10),
		fmt.Sprintf("maximum of %d points", engine.MaxBalance),
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("openapi.json lacks %q", want)
		}
	}
}

// TestAPILogsPanicsAndUnready: a handler panic answers a logged 500 and a
// failed readiness check a logged 503.
func TestAPILogsPanicsAndUnready(t *testing.T) {
	ts := newTestServer(t, testdb.Open(t, testdb.SQLite(t), store.Open), redemptionConfig(), day(0))
	tok := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tok, []byte(apiToken), 0o600)
	cfg := redemptionConfig()
	api, err := NewAPI(ts.points, &cfg, time.Now, tok, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	api.log = slog.New(slog.NewTextHandler(&logs, nil))
	calls := 0
	api.readyCheck = func(context.Context) error {
		calls++
		if calls == 1 {
			panic("boom")
		}
		return fmt.Errorf("state store down")
	}
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	probe := &testServer{Server: srv}
	if r := probe.do(t, "GET", "/readyz", "", ""); r.code != 500 {
		t.Fatalf("panicking handler: %d %s, want 500", r.code, r.body)
	}
	if r := probe.do(t, "GET", "/readyz", "", ""); r.code != 503 {
		t.Fatalf("unready: %d %s, want 503", r.code, r.body)
	}
	out := logs.String()
	for _, want := range []string{"panic: boom", "status=500", "state store down", "status=503", `route="GET /readyz"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
