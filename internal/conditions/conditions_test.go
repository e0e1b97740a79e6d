package conditions

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

func TestSummariseFollowsKstatusContract(t *testing.T) {
	seg := &v1alpha1.Segment{ObjectMeta: metav1.ObjectMeta{Generation: 3}}
	cases := []struct {
		kind                 OutcomeKind
		ready                metav1.ConditionStatus
		reconciling, stalled bool
	}{
		{Progressing, metav1.ConditionFalse, true, false},
		{Stalled, metav1.ConditionFalse, false, true},
		{Ready, metav1.ConditionTrue, false, false},
	}
	for _, c := range cases {
		Summarise(seg, Outcome{Kind: c.kind, Reason: "R", Message: "m"})
		ready := Get(seg, v1alpha1.ConditionReady)
		if ready == nil || ready.Status != c.ready || ready.ObservedGeneration != 3 {
			t.Fatalf("kind %d: Ready = %+v", c.kind, ready)
		}
		if got := Get(seg, v1alpha1.ConditionReconciling) != nil; got != c.reconciling {
			t.Fatalf("kind %d: Reconciling present = %v", c.kind, got)
		}
		if got := Get(seg, v1alpha1.ConditionStalled) != nil; got != c.stalled {
			t.Fatalf("kind %d: Stalled present = %v", c.kind, got)
		}
	}
}

func TestSetKeepsTransitionTimeWhenStatusUnchanged(t *testing.T) {
	ds := &v1alpha1.DataSource{}
	Set(ds, "Ready", metav1.ConditionTrue, "A", "a")
	first := Get(ds, "Ready").LastTransitionTime
	Set(ds, "Ready", metav1.ConditionTrue, "A", "a")
	if Get(ds, "Ready").LastTransitionTime != first {
		t.Fatal("transition time moved without a transition")
	}
}
