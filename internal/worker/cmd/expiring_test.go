package cmd

import (
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// A points_expiring playbook (as config/samples' points-expiry-reminder:
// re-entry after 30d) against a running loyalty worker that shares the
// PostgreSQL state store. Points expire 30 days after they were earned and
// members are listed 14 days ahead:
//
//	a: lots from 5 and 10 days ago lapse in 25 and 20 days -> not listed
//	b: 40 points from 20 days ago lapse in 10 days         -> listed
//	c: 300 points from 200 days ago lapsed already          -> not listed
//
// The segment (active-small) holds a and b, both with email consent. Two
// campaign runs: b gets exactly one reminder (with its 40 points from the
// shared ledger), a none.
func TestCampaignPointsExpiringWithLoyaltyWorker(t *testing.T) {
	state := newPostgresState(t)
	const token = "shop-token-5"
	prog := shopProgram()
	prog.Spec.PointsExpiry = &v1alpha1.PointsExpiry{Mode: "Fixed", After: "30d", WarningWindow: "14d"}
	lw := startProgram(t, newLocalRun(t, withAdminToken(prog)).sharing(state), token)
	defer lw.stop(t)

	// The fixture as the loyalty API lists it (what the campaign reads).
	code, body := get(t, lw.base+"/v1/expiring", e2eAdminToken)
	var listed expiringPage
	if code != 200 || json.Unmarshal([]byte(body), &listed) != nil {
		t.Fatalf("GET /v1/expiring: %d %s", code, body)
	}
	if len(listed.Members) != 1 || listed.Members[0].MemberID != "b" || listed.Members[0].Points != 40 {
		t.Fatalf("expiring members %s, want only b with 40 points", body)
	}

	pb := expiryReminder(map[string]contract.LoyaltyEndpoint{"rewards": {URL: lw.base, TokenKey: "admin"}},
		"{{.loyaltyPoints}} points expire soon", "spend them")
	pb.Spec.Reentry = &v1alpha1.Reentry{Policy: "AfterCooldown", Cooldown: "30d"}
	cr := newLocalRun(t, pb).sharing(state)
	cr.mountRewardsAdminToken(t)
	cr.remindsOnce(t, 1, `[console] to=b*** subject="40 points expire soon" step=remind`, "b: 40 points expire soon",
		"b was reminded about this expiry already")
}

// Without the program's endpoint in the worker spec the campaign refuses to
// start and names the field.
func TestCampaignPointsExpiringNeedsProgramEndpoint(t *testing.T) {
	pb := expiryReminder(nil, "s", "b")
	cr := newLocalRun(t, pb)
	_, stderr, err := cr.run(t, "campaign", "--once", "--poll-interval=50ms")
	if err == nil || !strings.Contains(stderr, `trigger.event.programRef \"rewards\": the worker spec has no loyaltyPrograms entry`) {
		t.Fatalf("err %v, stderr %s; want a refusal naming trigger.event.programRef", err, stderr)
	}
}

// An unreachable loyalty API is a warning, not a failure: the run sends
// nothing and exits cleanly (a long-running worker retries next tick).
func TestCampaignPointsExpiringAPIUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + ln.Addr().String()
	ln.Close()
	pb := expiryReminder(map[string]contract.LoyaltyEndpoint{"rewards": {URL: closedURL, TokenKey: "token"}}, "s", "b")
	cr := newLocalRun(t, pb)
	cr.write(t, workload.SecretsDir+"/"+contract.LoyaltyTokensDir+"/rewards/token", "tok")
	stdout, stderr, err := cr.run(t, "campaign", "--once", "--poll-interval=50ms")
	if err != nil {
		t.Fatalf("campaign: %v\n%s", err, stderr)
	}
	if strings.TrimSpace(stdout) != "" {
		t.Errorf("stdout %q, want nothing sent", stdout)
	}
	if !strings.Contains(stderr, `"level":"WARN","msg":"reading expiring loyalty points failed; retrying next tick"`) {
		t.Errorf("stderr %s, want the retry warning", stderr)
	}
}

// expiryReminder is the points-expiry reminder playbook of these tests: the
// program rewards' points_expiring events (programs: where the worker
// reaches it) trigger one console message "remind" with subject and body.
func expiryReminder(programs map[string]contract.LoyaltyEndpoint, subject, body string) apiPlaybook {
	return apiPlaybook{Namespace: "shop", Name: "points-expiry-reminder", Segment: shopSegment(),
		Channels:        map[string]v1alpha1.ChannelSpec{"console": {Console: &v1alpha1.ConsoleChannel{}}},
		LoyaltyPrograms: programs,
		Spec: v1alpha1.PlaybookSpec{SegmentRef: v1alpha1.LocalObjectReference{Name: "active-small"},
			Trigger: v1alpha1.Trigger{Event: &v1alpha1.EventTrigger{Type: "points_expiring",
				ProgramRef: &v1alpha1.LocalObjectReference{Name: "rewards"}}},
			Steps: []v1alpha1.Step{{Name: "remind", Send: &v1alpha1.SendStep{
				ChannelRef: v1alpha1.LocalObjectReference{Name: "console"},
				Template:   v1alpha1.MessageTemplate{Subject: subject, Body: body}}}}}}
}
