package cmd

import (
	"encoding/json"
	"testing"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// spec.steps[].awardPoints.reason reaches the loyalty ledger entry through a
// running loyalty worker; a step without a reason records the playbook.
func TestCampaignAwardReasonReachesLedger(t *testing.T) {
	const token = "shop-token-3"
	lr := newLocalRun(t, withAdminToken(shopProgram()))
	lr.writeLoyaltyTokens(t, token)
	lw := startLoyalty(t, lr)
	defer lw.stop(t)

	seg := shopSegment()
	seg.Name, seg.Spec.Criteria, seg.Spec.Metrics = "only-a", `customer.id == "a"`, nil
	program := v1alpha1.LocalObjectReference{Name: "rewards"}
	pb := apiPlaybook{Namespace: "shop", Name: "reasons", Segment: seg,
		LoyaltyPrograms: map[string]contract.LoyaltyEndpoint{"rewards": {URL: lw.base, TokenKey: "admin"}},
		Spec: v1alpha1.PlaybookSpec{SegmentRef: v1alpha1.LocalObjectReference{Name: "only-a"},
			Trigger: v1alpha1.Trigger{SegmentEntry: &v1alpha1.SegmentEntryTrigger{}},
			Steps: []v1alpha1.Step{
				{Name: "bonus", AwardPoints: &v1alpha1.AwardPointsStep{ProgramRef: program, Points: 15, Reason: "welcome bonus"}},
				{Name: "extra", AwardPoints: &v1alpha1.AwardPointsStep{ProgramRef: program, Points: 5}},
			}}}
	cr := newLocalRun(t, pb)
	cr.write(t, workload.SecretsDir+"/"+contract.LoyaltyTokensDir+"/rewards/admin", e2eAdminToken)
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
