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
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	typed, err := scheme.New(v1alpha1.GroupVersion.WithKind(kind))
	if err != nil {
		t.Fatalf("unknown kind %q: %v", kind, err)
	}
	obj := typed.(interface {
		metav1.Object
		GetConditions() *[]metav1.Condition
		ObserveGeneration()
	})
	obj.SetName("example")
	obj.SetNamespace("shop")
	// The status fields through the methods the controllers write them with.
	obj.SetGeneration(s.observed)
	obj.ObserveGeneration()
	obj.SetGeneration(s.generation)
	*obj.GetConditions() = s.conditions
	if pb, ok := obj.(*v1alpha1.Playbook); ok {
		pb.Status.Suspended = s.suspended
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
