// Package conditions is the one place that sets and summarises status
// conditions, so that every kind follows the same kstatus contract:
// Ready is always present; Reconciling and Stalled are present only while true.
package conditions

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// Object is a custom resource whose status embeds v1alpha1.CommonStatus.
type Object interface {
	metav1.Object
	GetConditions() *[]metav1.Condition
}

// Set records a condition at the object's current generation. The transition
// time only moves when the status flips, so an unchanged condition does not
// make the status differ.
func Set(obj Object, condType string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(obj.GetConditions(), metav1.Condition{
		Type:               condType,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: obj.GetGeneration(),
	})
}

// Get returns the condition of that type, or nil.
func Get(obj Object, condType string) *metav1.Condition {
	return meta.FindStatusCondition(*obj.GetConditions(), condType)
}

// IsTrue reports whether the condition is present and True.
func IsTrue(obj Object, condType string) bool {
	return meta.IsStatusConditionTrue(*obj.GetConditions(), condType)
}

// Remove drops a condition.
func Remove(obj Object, condType string) {
	meta.RemoveStatusCondition(obj.GetConditions(), condType)
}

// Outcome is what a reconcile concluded about an object.
type Outcome struct {
	// Reason and Message describe the outcome in the Ready condition.
	Reason  string
	Message string
	// Kind selects how the outcome maps onto Ready, Reconciling and Stalled.
	Kind OutcomeKind
}

// OutcomeKind classifies outcomes the way kstatus reads them.
type OutcomeKind int

const (
	// Ready: everything the object owns is in place and healthy (kstatus Current).
	Ready OutcomeKind = iota
	// Progressing: work is under way or waiting on something that will come
	// by itself, such as a reference becoming Ready (kstatus InProgress).
	Progressing
	// Stalled: the spec cannot work until a person changes something
	// (kstatus Failed).
	Stalled
)

// Summarise writes Ready, Reconciling and Stalled from the outcome.
func Summarise(obj Object, o Outcome) {
	switch o.Kind {
	case Ready:
		Set(obj, v1alpha1.ConditionReady, metav1.ConditionTrue, o.Reason, o.Message)
		Remove(obj, v1alpha1.ConditionReconciling)
		Remove(obj, v1alpha1.ConditionStalled)
	case Progressing:
		Set(obj, v1alpha1.ConditionReady, metav1.ConditionFalse, o.Reason, o.Message)
		Set(obj, v1alpha1.ConditionReconciling, metav1.ConditionTrue, o.Reason, o.Message)
		Remove(obj, v1alpha1.ConditionStalled)
	case Stalled:
		Set(obj, v1alpha1.ConditionReady, metav1.ConditionFalse, o.Reason, o.Message)
		Set(obj, v1alpha1.ConditionStalled, metav1.ConditionTrue, o.Reason, o.Message)
		Remove(obj, v1alpha1.ConditionReconciling)
	}
}
