package loyalty

import (
	"reflect"
	"strings"
	"testing"

	engine "github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/store"
)

// tierRewardConfig: silver from 100 points earned in 365 days, gold from 500;
// "vip-preview" is for gold and above, "mug" for everyone. No grace, so a
// member who stops qualifying moves down on the second maintenance pass.
// Currency and earn rules are redemptionConfig's.
func tierRewardConfig() engine.Config {
	cfg := redemptionConfig()
	cfg.Tiers = []engine.Tier{{Name: "silver", Threshold: 100, Window: loyaltyDays(365)},
		{Name: "gold", Threshold: 500, Window: loyaltyDays(365)}}
	cfg.Rewards = []engine.Reward{{Name: "mug", Cost: 10}, {Name: "vip-preview", Cost: 50, MinTier: "gold"}}
	return cfg
}

// tierRefusal is the 403 body of a redemption below the reward's minTier.
type tierRefusal struct {
	Error, Field, Reward, MinTier, Tier string
}

// TestRedeemMinTier: a reward with minTier is refused (403, nothing deducted,
// the Idempotency-Key left unused) below that tier; the same key succeeds once
// the member reaches it, and keeps replaying its answer after a downgrade.
func TestRedeemMinTier(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db, tierRewardConfig(), day(0))
		order(t, ts, "S", "s1", 200) // 200 points earned: silver
		order(t, ts, "N", "n1", 60)  // 60: below every tier

		wantMember(t, ts, "S", "silver", 200, []string{"mug"})
		wantMember(t, ts, "N", "", 60, []string{"mug"})

		for _, c := range []struct{ member, tier, msg string }{
			{"S", "silver", `reward "vip-preview" needs tier gold or above; member is silver`},
			{"N", "", `reward "vip-preview" needs tier gold or above; member has no tier yet`},
		} {
			r := ts.do(t, "POST", "/v1/members/"+c.member+"/redemptions", apiToken, `{"reward": "vip-preview"}`,
				"Idempotency-Key", "k1")
			var e tierRefusal
			if r.code == 403 {
				r.json(t, &e)
			}
			if want := (tierRefusal{c.msg, "reward", "vip-preview", "gold", c.tier}); r.code != 403 || e != want {
				t.Fatalf("%s redeems vip-preview: %d %s, want 403 %+v", c.member, r.code, r.body, want)
			}
		}
		wantAvailable(t, ts, "S", 200) // nothing deducted
		wantAvailable(t, ts, "N", 60)
		if e := redeemEntries(t, ts, "S"); len(e) != 0 {
			t.Fatalf("refused redemption left entries: %+v", e)
		}
		// An open reward still works for a silver member.
		if r := ts.do(t, "POST", "/v1/members/S/redemptions", apiToken, `{"reward": "mug"}`, "Idempotency-Key", "m1"); r.code != 201 {
			t.Fatalf("silver redeems mug: %d %s", r.code, r.body)
		}

		// 400 more points: 600 earned in the window, gold at once. The refused
		// key k1 was not consumed, so retrying it now redeems for real.
		order(t, ts, "S", "s2", 400)
		wantMember(t, ts, "S", "gold", 590, []string{"mug", "vip-preview"})
		var red store.Redemption
		r := ts.do(t, "POST", "/v1/members/S/redemptions", apiToken, `{"reward": "vip-preview"}`, "Idempotency-Key", "k1")
		if r.code != 201 || r.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("gold retries k1: %d %s (replayed %q), want a fresh 201", r.code, r.body, r.header.Get("Idempotent-Replayed"))
		}
		r.json(t, &red)
		if red.Reward != "vip-preview" || red.Points != 50 || red.Available != 540 {
			t.Fatalf("redemption %+v, want vip-preview for 50 leaving 540", red)
		}

		// A year on, nothing earned in the window: S falls below every tier
		// (grace 0: the first pass starts the clock, the second moves down).
		ts.now = day(400)
		for range 2 {
			if _, err := ts.points.Maintain(t.Context(), ts.now); err != nil {
				t.Fatal(err)
			}
		}
		wantMember(t, ts, "S", "", 540, []string{"mug"})
		// The key that succeeded replays its answer; a new key is refused.
		r = ts.do(t, "POST", "/v1/members/S/redemptions", apiToken, `{"reward": "vip-preview"}`, "Idempotency-Key", "k1")
		var again store.Redemption
		if r.code == 201 {
			r.json(t, &again)
		}
		if r.code != 201 || r.header.Get("Idempotent-Replayed") != "true" || again.ID != red.ID {
			t.Fatalf("replay of k1 after downgrade: %d %s, want 201 replay of redemption %d", r.code, r.body, red.ID)
		}
		if r := ts.do(t, "POST", "/v1/members/S/redemptions", apiToken, `{"reward": "vip-preview"}`, "Idempotency-Key", "k2"); r.code != 403 {
			t.Fatalf("new key after downgrade: %d %s, want 403", r.code, r.body)
		}
		wantAvailable(t, ts, "S", 540)
		if e := redeemEntries(t, ts, "S"); len(e) != 2 { // mug and one vip-preview
			t.Fatalf("redeem entries %+v, want 2", e)
		}
		metrics := string(ts.do(t, "GET", "/metrics", "", "").body)
		if !strings.Contains(metrics, `loyalty_redemptions_total{result="tier"} 3`) {
			t.Errorf("/metrics lacks 3 tier refusals:\n%s", metrics)
		}
	})
}

// wantMember checks a member's tier, available balance and the rewards the
// tier allows, as GET /v1/members/{id} shows them.
func wantMember(t *testing.T, ts *testServer, member, tier string, available int64, rewards []string) {
	t.Helper()
	r := ts.do(t, "GET", "/v1/members/"+member, apiToken, "")
	var v store.MemberView
	if r.code != 200 {
		t.Fatalf("GET member %s: %d %s", member, r.code, r.body)
	}
	r.json(t, &v)
	if v.Tier != tier || v.Available != available || !reflect.DeepEqual(v.Rewards, rewards) {
		t.Fatalf("member %s: tier %q, available %d, rewards %v; want %q, %d, %v", member, v.Tier, v.Available, v.Rewards,
			tier, available, rewards)
	}
}
