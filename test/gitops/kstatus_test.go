package gitops

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// statusCase is one controller-written state with the verdicts of kstatus
// (Flux, kubectl-style waits) and of the Argo CD health check.
type statusCase struct {
	name           string
	state          state
	kstatus        status.Status
	kstatusMessage string
	argo           string
	argoMessage    string
}

// statusCases are the states every kind goes through.
func statusCases(kind string) []statusCase {
	const (
		readyMsg   = "Worker is available"
		waitingMsg = "Waiting for the worker Deployment"
		invalidMsg = "spec.schedule: bad cron expression"
		depMsg     = `Waiting for DataSource "crm" to be Ready`
	)
	cases := []statusCase{
		{
			name: "ready at current generation",
			state: state{generation: 2, observed: 2, conditions: []metav1.Condition{
				cond("Ready", metav1.ConditionTrue, "Ready", readyMsg, 2)}},
			kstatus: status.CurrentStatus, kstatusMessage: "Resource is Ready",
			argo: "Healthy", argoMessage: readyMsg,
		},
		{
			name: "reconciling",
			state: state{generation: 2, observed: 2, conditions: []metav1.Condition{
				cond("Ready", metav1.ConditionFalse, "Reconciling", "Applying the worker configuration", 2),
				cond("Reconciling", metav1.ConditionTrue, "Progressing", waitingMsg, 2)}},
			kstatus: status.InProgressStatus, kstatusMessage: waitingMsg,
			argo: "Progressing", argoMessage: waitingMsg,
		},
		{
			name: "stalled",
			state: state{generation: 1, observed: 1, conditions: []metav1.Condition{
				cond("Ready", metav1.ConditionFalse, "InvalidSpec", invalidMsg, 1),
				cond("Stalled", metav1.ConditionTrue, "InvalidSpec", invalidMsg, 1)}},
			kstatus: status.FailedStatus, kstatusMessage: invalidMsg,
			argo: "Degraded", argoMessage: invalidMsg,
		},
		{
			name: "old observed generation",
			state: state{generation: 3, observed: 2, conditions: []metav1.Condition{
				cond("Ready", metav1.ConditionTrue, "Ready", readyMsg, 2)}},
			kstatus: status.InProgressStatus, kstatusMessage: kind + " generation is 3, but latest observed generation is 2",
			argo: "Progressing", argoMessage: "Waiting for the controller to observe generation 3 (status is for 2)",
		},
		{
			// Ready=False with neither Reconciling nor Stalled (e.g. a
			// dependency not ready, a transient connection error): kstatus
			// keeps waiting (Flux fails only at its timeout); Argo CD shows
			// Degraded so the problem is visible at once.
			name: "not ready, not stalled",
			state: state{generation: 5, observed: 5, conditions: []metav1.Condition{
				cond("Ready", metav1.ConditionFalse, "DependencyNotReady", depMsg, 5)}},
			kstatus: status.InProgressStatus, kstatusMessage: depMsg,
			argo: "Degraded", argoMessage: depMsg,
		},
		{
			// kstatus cannot tell "no controller yet" from "no status
			// convention": an object without status is Current. Argo CD's
			// check says Progressing. Documented in docs/gitops.md.
			name:    "no status yet",
			state:   state{generation: 1, noStatus: true},
			kstatus: status.CurrentStatus, kstatusMessage: "Resource is current",
			argo: "Progressing", argoMessage: "Waiting for the controller to report status",
		},
	}
	if kind == "Playbook" {
		cases = append(cases, statusCase{
			name: "suspended",
			state: state{generation: 4, observed: 4, suspended: true, conditions: []metav1.Condition{
				cond("Ready", metav1.ConditionTrue, "Suspended", "Campaign worker scaled to zero", 4)}},
			kstatus: status.CurrentStatus, kstatusMessage: "Resource is Ready",
			argo: "Suspended", argoMessage: "Playbook is suspended (spec.suspend)",
		})
	}
	return cases
}

// TestKstatus checks that kstatus, which Flux's health checks use with no
// configuration, reads the conditions the controllers write.
func TestKstatus(t *testing.T) {
	for _, kind := range kinds {
		for _, tc := range statusCases(kind) {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				res, err := status.Compute(newObject(t, kind, tc.state))
				if err != nil {
					t.Fatalf("kstatus: %v", err)
				}
				if res.Status != tc.kstatus || res.Message != tc.kstatusMessage {
					t.Fatalf("kstatus = %s %q, want %s %q", res.Status, res.Message, tc.kstatus, tc.kstatusMessage)
				}
			})
		}
	}
}
