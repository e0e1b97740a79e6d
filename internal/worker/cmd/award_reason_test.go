package cmd

import (
	"encoding/json"
	"testing"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// spec.steps[].awardPoints.reason reaches the loyalty ledger entry through a
// running loyalty worker; a step without a reason records the playbook.
func TestCampaignAwardReasonReachesLedger(t *testing.T) {
	const token = "shop-token-3"
	program := v1alpha1.LocalObjectReference{Name: "rewards"}
	lw, cr := startAwardRun(t, token, "reasons",
		v1alpha1.Step{Name: "bonus", AwardPoints: &v1alpha1.AwardPointsStep{ProgramRef: program, Points: 15, Reason: "welcome bonus"}},
		v1alpha1.Step{Name: "extra", AwardPoints: &v1alpha1.AwardPointsStep{ProgramRef: program, Points: 5}})
	defer lw.stop(t)
	if _, stderr, err := cr.run(t, "campaign", "--once", "--poll-interval=50ms"); err != nil {
		t.Fatalf("campaign: %v\n%s", err, stderr)
	}
	code, body := get(t, lw.base+"/v1/members/a/history", token)
	var hist struct {
		Entries []struct {
			Kind   string `json:"kind"`
			Points int64  `json:"points"`
			Reason string `json:"reason"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(body), &hist); err != nil || code != 200 {
		t.Fatalf("history: %d %s", code, body)
	}
	reasons := map[int64]string{}
	for _, e := range hist.Entries {
		if e.Reason != "" {
			reasons[e.Points] = e.Reason
		}
	}
	if reasons[15] != "welcome bonus" || reasons[5] != "awardPoints step of playbook shop/reasons" || len(reasons) != 2 {
		t.Errorf("ledger reasons by points %v, want 15: welcome bonus, 5: awardPoints step of playbook shop/reasons (history %s)", reasons, body)
	}
}
