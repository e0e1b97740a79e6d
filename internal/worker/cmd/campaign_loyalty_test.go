package cmd

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// pgStateURL is the test PostgreSQL DSN pointed at db's schema.
func pgStateURL(t *testing.T, db *store.DB) string {
	t.Helper()
	return testdb.SchemaDSN(t, testdb.PostgresDSN(), db)
}

// newPostgresState is the DSN of a new PostgreSQL schema for the state
// store that a test's runs share.
func newPostgresState(t *testing.T) string {
	t.Helper()
	return pgStateURL(t, testdb.Open(t, testdb.Postgres(t), store.Open))
}

// A tierChange playbook against a running loyalty worker that shares the
// PostgreSQL state store: the first run only positions the cursor (a and c
// became silver before the playbook existed); b's new order lifts b to
// silver (40 + 30 = 70 >= 50), and the next run enrols b, with b's tier and
// points from the shared ledger in segment criteria and the message.
func TestCampaignTierChangeWithLoyaltyWorker(t *testing.T) {
	state := newPostgresState(t)
	const token = "shop-token-4"
	lr := newLocalRun(t, withAdminToken(shopProgram())).sharing(state)
	lw := startProgram(t, lr, token)
	defer lw.stop(t)

	seg := shopSegment()
	seg.Name, seg.Spec.Criteria, seg.Spec.Metrics = "silver", `customer.loyaltyTier == "silver"`, nil
	seg.Spec.LoyaltyProgramRef = &v1alpha1.LocalObjectReference{Name: "rewards"}
	// The metric job reads tiers from the program's ledger (the controller
	// puts the program's spec here).
	prog := shopProgram()
	seg.LoyaltyProgram = &prog.Spec
	pb := apiPlaybook{Namespace: "shop", Name: "silver-welcome", Segment: seg,
		Channels:        map[string]v1alpha1.ChannelSpec{"console": {Console: &v1alpha1.ConsoleChannel{}}},
		LoyaltyPrograms: map[string]contract.LoyaltyEndpoint{"rewards": {URL: lw.base, TokenKey: "admin"}},
		Spec: v1alpha1.PlaybookSpec{SegmentRef: v1alpha1.LocalObjectReference{Name: "silver"},
			Trigger: v1alpha1.Trigger{TierChange: &v1alpha1.TierChangeTrigger{
				ProgramRef: v1alpha1.LocalObjectReference{Name: "rewards"}, To: "silver"}},
			Steps: []v1alpha1.Step{{Name: "welcome", Send: &v1alpha1.SendStep{
				ChannelRef: v1alpha1.LocalObjectReference{Name: "console"},
				Template:   v1alpha1.MessageTemplate{Subject: "{{.loyaltyTier}} with {{.loyaltyPoints}} points", Body: "hi"}}}}}}
	cr := newLocalRun(t, pb).sharing(state)
	cr.mountRewardsAdminToken(t)
	stdout, stderr, err := cr.run(t, "campaign", "--once", "--poll-interval=50ms")
	if err != nil {
		t.Fatalf("campaign run 1: %v\n%s", err, stderr)
	}
	if strings.TrimSpace(stdout) != "" {
		t.Fatalf("first run sent %q, want nothing (tier changes before the first run are not back-filled)", stdout)
	}
	// b orders for 30 more; the loyalty-metrics job ingests it into the shared ledger.
	orders := [][]string{{"customer_id", "order_id", "amount", "occurred_at"}}
	now := time.Now().UTC()
	for _, o := range append(append([]shopOrder(nil), shopOrders...), shopOrder{"b", "o5", 1, 30}) {
		orders = append(orders, []string{o.customer, o.id, strconv.FormatFloat(o.amount, 'f', 2, 64),
			now.AddDate(0, 0, -o.daysAgo).Format(time.RFC3339)})
	}
	lr.write(t, workload.DataDir+"/orders.csv", csvText(t, orders))
	if _, stderr, err := lr.run(t, "loyalty-metrics"); err != nil {
		t.Fatalf("loyalty-metrics: %v\n%s", err, stderr)
	}
	cr.remindsOnce(t, 2, `[console] to=b*** subject="silver with 70 points" step=welcome`, "b: silver with 70 points",
		"the change was consumed")
}
