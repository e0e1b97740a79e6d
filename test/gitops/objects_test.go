// Package gitops tests what GitOps tools read from the five retention.dev
// kinds: the Argo CD health checks in config/argocd (run in gopher-lua, the
// VM Argo CD embeds) and kstatus, which Flux uses without configuration.
package gitops

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// kinds are the five retention.dev kinds.
var kinds = []string{"Channel", "DataSource", "LoyaltyProgram", "Playbook", "Segment"}

// state is what a controller may have written into an object's status.
type state struct {
	generation int64
	// noStatus: the controller has not written status yet.
	noStatus   bool
	observed   int64
	conditions []metav1.Condition
	suspended  bool // Playbook only
}

// cond builds a condition as the controller writes it.
func cond(typ string, status metav1.ConditionStatus, reason, message string, gen int64) metav1.Condition {
	return metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: message, ObservedGeneration: gen,
		LastTransitionTime: metav1.Date(2026, 11, 24, 10, 0, 0, 0, metav1.Now().Location()),
	}
}

// newObject builds a typed retention.dev object of kind in state s and
// converts it to unstructured exactly as a client would see it (omitempty
// fields absent, integers as int64).
func newObject(t *testing.T, kind string, s state) *unstructured.Unstructured {
	t.Helper()
	meta := metav1.ObjectMeta{Name: "example", Namespace: "shop", Generation: s.generation}
	common := v1alpha1.CommonStatus{ObservedGeneration: s.observed, Conditions: s.conditions}
	var obj runtime.Object
	switch kind {
	case "DataSource":
		o := &v1alpha1.DataSource{ObjectMeta: meta}
		o.Status.CommonStatus = common
		obj = o
	case "Channel":
		o := &v1alpha1.Channel{ObjectMeta: meta}
		o.Status.CommonStatus = common
		obj = o
	case "Segment":
		o := &v1alpha1.Segment{ObjectMeta: meta}
		o.Status.CommonStatus = common
		obj = o
	case "LoyaltyProgram":
		o := &v1alpha1.LoyaltyProgram{ObjectMeta: meta}
		o.Status.CommonStatus = common
		obj = o
	case "Playbook":
		o := &v1alpha1.Playbook{ObjectMeta: meta}
		o.Status.CommonStatus = common
		o.Status.Suspended = s.suspended
		obj = o
	default:
		t.Fatalf("unknown kind %q", kind)
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatalf("convert %s: %v", kind, err)
	}
	u := &unstructured.Unstructured{Object: content}
	u.SetAPIVersion(v1alpha1.GroupVersion.String())
	u.SetKind(kind)
	if s.noStatus {
		// The API server drops status on create (status subresource), so a
		// new object has none until the controller writes it.
		delete(u.Object, "status")
	}
	return u
}
