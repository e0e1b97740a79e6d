package loyalty

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	engine "github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/store"
)

func redemptionConfig() engine.Config {
	return engine.Config{
		Currency:  "EUR",
		EarnRules: engine.EarnRules{PointsPerUnit: 1},
		Rewards:   []engine.Reward{{Name: "mug", Cost: 10, Description: "a mug"}, {Name: "cap", Cost: 10}},
	}
}

// TestConcurrentRedemptions: 100 concurrent redemptions through the HTTP API
// on one member whose 100 points cover 10 mugs: exactly 10 succeed, the
// balance never reads below zero and ends at 0, each success is in the
// history once, and retrying a key returns the first answer and deducts nothing.
func TestConcurrentRedemptions(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db, redemptionConfig(), day(0))
		if r := ts.do(t, "POST", "/v1/members/M/adjustments", adminToken, `{"points": 100, "reason": "welcome"}`); r.code != 404 {
			t.Fatalf("adjusting an unknown member: %d %s, want 404", r.code, r.body)
		}
		// Enroll M with an order worth 100 points, available at once (no pending period).
		order(t, ts, "M", "o1", 100)

		var wg sync.WaitGroup
		var stop atomic.Bool
		var minSeen atomic.Int64
		minSeen.Store(1 << 40)
		wg.Go(func() { // reader: the balance must never be observed below zero
			for !stop.Load() {
				var v store.MemberView
				r := ts.do(t, "GET", "/v1/members/M", apiToken, "")
				if r.code == 200 {
					r.json(t, &v)
					if v.Available < minSeen.Load() {
						minSeen.Store(v.Available)
					}
				}
			}
		})
		results := make([]response, 100)
		var storm sync.WaitGroup
		for i := range results {
			storm.Go(func() {
				results[i] = ts.do(t, "POST", "/v1/members/M/redemptions", apiToken, `{"reward": "mug"}`,
					"Idempotency-Key", fmt.Sprintf("key-%d", i))
			})
		}
		storm.Wait()
		stop.Store(true)
		wg.Wait()

		ids := map[int64]string{}
		conflicts := 0
		for i, r := range results {
			switch r.code {
			case 201:
				var red store.Redemption
				r.json(t, &red)
				if red.Points != 10 || red.Reward != "mug" || red.Available < 0 || red.Available%10 != 0 {
					t.Fatalf("redemption %d: %+v", i, red)
				}
				ids[red.ID] = fmt.Sprintf("key-%d", i)
			case 409:
				if !bytes.Contains(r.body, []byte(`"error":"insufficient points: 0 available, 10 needed"`)) {
					t.Fatalf("409 body %s", r.body)
				}
				conflicts++
			default:
				t.Fatalf("request %d: %d %s", i, r.code, r.body)
			}
		}
		if len(ids) != 10 || conflicts != 90 {
			t.Fatalf("%d successes with distinct ids, %d conflicts; want 10 and 90", len(ids), conflicts)
		}
		if m := minSeen.Load(); m < 0 {
			t.Fatalf("balance observed at %d", m)
		}
		wantAvailable(t, ts, "M", 0)
		history := redeemEntries(t, ts, "M")
		if len(history) != 10 {
			t.Fatalf("%d redeem entries in history, want 10", len(history))
		}
		for _, e := range history {
			if _, ok := ids[e.ID]; !ok || e.Points != -10 {
				t.Fatalf("history entry %+v does not match a successful answer", e)
			}
			delete(ids, e.ID) // each success once
		}

		// Retry a successful key: same answer, nothing deducted, no new entry.
		var first response
		for _, r := range results {
			if r.code == 201 {
				first = r
				break
			}
		}
		var red store.Redemption
		first.json(t, &red)
		retry := ts.do(t, "POST", "/v1/members/M/redemptions", apiToken, `{"reward": "mug"}`, "Idempotency-Key", keyFor(results, red.ID))
		if retry.code != 201 || !bytes.Equal(retry.body, first.body) || retry.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry: %d %s (replayed=%q), want the first answer %s", retry.code, retry.body, retry.header.Get("Idempotent-Replayed"), first.body)
		}
		wantAvailable(t, ts, "M", 0)
		if n := len(redeemEntries(t, ts, "M")); n != 10 {
			t.Fatalf("%d redeem entries after retry, want 10", n)
		}
		// Same key, other reward: refused, not silently answered.
		if r := ts.do(t, "POST", "/v1/members/M/redemptions", apiToken, `{"reward": "cap"}`, "Idempotency-Key", keyFor(results, red.ID)); r.code != 422 ||
			!bytes.Contains(r.body, []byte(`"field":"Idempotency-Key"`)) {
			t.Fatalf("key reused for another reward: %d %s, want 422 naming Idempotency-Key", r.code, r.body)
		}

		// While points remain: a retry after success returns the first answer and the balance stays.
		order(t, ts, "N", "o2", 30)
		a := ts.do(t, "POST", "/v1/members/N/redemptions", apiToken, `{"reward": "mug"}`, "Idempotency-Key", "n-1")
		b := ts.do(t, "POST", "/v1/members/N/redemptions", apiToken, `{"reward": "mug"}`, "Idempotency-Key", "n-1")
		if a.code != 201 || b.code != 201 || !bytes.Equal(a.body, b.body) || !strings.Contains(string(a.body), `"available":20`) {
			t.Fatalf("redeem then retry: %d %s / %d %s", a.code, a.body, b.code, b.body)
		}
		wantAvailable(t, ts, "N", 20)
	})
}

func keyFor(results []response, id int64) string {
	for i, r := range results {
		if r.code == 201 && bytes.Contains(r.body, []byte(fmt.Sprintf(`"redemptionId":%d,`, id))) {
			return fmt.Sprintf("key-%d", i)
		}
	}
	return ""
}

func order(t *testing.T, ts *testServer, member, id string, amount float64) {
	t.Helper()
	if _, err := ts.points.ApplyOrder(t.Context(), orderOf(member, id, amount, ts.now), ts.now); err != nil {
		t.Fatal(err)
	}
}

func wantAvailable(t *testing.T, ts *testServer, member string, want int64) {
	t.Helper()
	var v store.MemberView
	r := ts.do(t, "GET", "/v1/members/"+member, apiToken, "")
	if r.code != 200 {
		t.Fatalf("GET member %s: %d %s", member, r.code, r.body)
	}
	r.json(t, &v)
	if v.Available != want || v.ID != member {
		t.Fatalf("member %s: %+v, want available %d", member, v, want)
	}
}

func redeemEntries(t *testing.T, ts *testServer, member string) []store.Entry {
	t.Helper()
	var h struct{ Entries []store.Entry }
	r := ts.do(t, "GET", "/v1/members/"+member+"/history?limit=500", apiToken, "")
	if r.code != 200 {
		t.Fatalf("history: %d %s", r.code, r.body)
	}
	r.json(t, &h)
	var out []store.Entry
	for _, e := range h.Entries {
		if e.Kind == store.KindRedeem {
			out = append(out, e)
		}
	}
	return out
}
