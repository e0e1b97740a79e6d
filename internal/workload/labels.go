// Package workload builds the Kubernetes objects the operator owns (ConfigMaps,
// CronJobs, Deployments, Services, worker RBAC) as pure functions returning
// server-side-apply configurations. Controllers only apply what these return,
// so every shape is table-tested here without an API server.
package workload

import (
	"k8s.io/apimachinery/pkg/types"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
)

// Labels put on everything the operator owns; the manager's cache is filtered
// to ManagedByLabel=ManagedBy so it holds only its own objects.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedBy      = "retention-operator"
	NameLabel      = "app.kubernetes.io/name"
	InstanceLabel  = "app.kubernetes.io/instance"
	ComponentLabel = "app.kubernetes.io/component"
	PartOfLabel    = "app.kubernetes.io/part-of"
	// SpecHashAnnotation on a pod template changes when the rendered spec does,
	// so a Deployment rolls its pods onto the new configuration.
	SpecHashAnnotation = "retention.dev/spec-hash"
	// AppliedHashAnnotation on every owned object is the digest of what the
	// operator last applied; a reconcile that would apply the same again
	// writes nothing.
	AppliedHashAnnotation = "retention.dev/applied-hash"
	// ReportLabel marks a worker's report ConfigMap: the shared worker Role
	// grants exactly the ConfigMaps that carry it.
	ReportLabel = "retention.dev/report"
)

// Components of the worker image.
const (
	ComponentMetrics        = "metrics"
	ComponentCampaign       = "campaign"
	ComponentLoyalty        = "loyalty"
	ComponentLoyaltyMetrics = "loyalty-metrics"
	ComponentPreferences    = "preferences"
	ComponentIngest         = "ingest"
)

// Owner identifies the custom resource that owns a workload.
type Owner struct {
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	UID        types.UID
}

// Labels returns the common labels of an owned object.
func Labels(owner Owner, component string) map[string]string {
	return map[string]string{
		ManagedByLabel: ManagedBy,
		NameLabel:      "retention-worker",
		InstanceLabel:  owner.Name,
		ComponentLabel: component,
		PartOfLabel:    "retention-operator",
	}
}

// SelectorLabels are the stable subset used in Deployment and Service selectors
// (selectors are immutable, so they never include anything that may change).
func SelectorLabels(owner Owner, component string) map[string]string {
	return map[string]string{
		NameLabel:      "retention-worker",
		InstanceLabel:  owner.Name,
		ComponentLabel: component,
	}
}

// ownerReference makes the custom resource the controller owner, so deleting
// it garbage-collects the workload and changes to the workload wake its reconciler.
func ownerReference(owner Owner) *metav1ac.OwnerReferenceApplyConfiguration {
	return metav1ac.OwnerReference().
		WithAPIVersion(owner.APIVersion).
		WithKind(owner.Kind).
		WithName(owner.Name).
		WithUID(owner.UID).
		WithController(true).
		WithBlockOwnerDeletion(true)
}
