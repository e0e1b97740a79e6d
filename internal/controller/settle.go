package controller

import (
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/conditions"
)

// statusSettle is how long an object that is already Progressing keeps its
// written status while it takes its next steps (a reference turns Ready, its
// Deployment is applied, then rolls out). Converging objects usually get to
// Ready within it, so their status is written twice (Progressing, then
// Ready) rather than on every intermediate reason; an object that is still
// progressing after it has its latest reason written then.
const statusSettle = 10 * time.Second

// settling returns how long to hold back the status write of a reconcile
// that ends Progressing, when the stored status already says Progressing
// (and said so less than statusSettle ago) and nothing but the conditions'
// reasons and messages would change. Zero means write now: a new object, a
// change of Ready's status, a final outcome, or any other field (figures,
// observedGeneration, a first run's spec hash) to store.
func settling(obj, before statusObject, outcome conditions.Outcome, now time.Time) time.Duration {
	if outcome.Kind != conditions.Progressing || !conditions.IsTrue(before, v1alpha1.ConditionReconciling) {
		return 0
	}
	was := conditions.Get(before, v1alpha1.ConditionReady)
	if was == nil || was.Status != "False" {
		return 0
	}
	left := statusSettle - now.Sub(was.LastTransitionTime.Time)
	if left <= 0 {
		return 0
	}
	// Only the conditions may differ: compare with before's conditions put back.
	same := obj.DeepCopyObject().(statusObject)
	*same.GetConditions() = *before.GetConditions()
	data, err := client.MergeFrom(before).Data(same)
	if err != nil || string(data) != "{}" {
		return 0
	}
	return left
}
