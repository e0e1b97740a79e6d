package controller

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/retention-dev/retention-operator/internal/conditions"
)

// deploymentOutcome surfaces an owned Deployment's health on the custom
// resource (Argo CD and kstatus read the resource, not its children): ready
// is returned once the Deployment has rolled out and has its replicas
// available; before that the resource is Progressing.
func (b *Base) deploymentOutcome(ctx context.Context, namespace, name string, want int32, ready conditions.Outcome) conditions.Outcome {
	var dep appsv1.Deployment
	if err := b.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &dep); err != nil {
		return outcomeOf(err)
	}
	if want == 0 {
		return ready
	}
	if dep.Status.ObservedGeneration < dep.Generation {
		return conditions.Outcome{Kind: conditions.Progressing, Reason: "RollingOut",
			Message: fmt.Sprintf("deployment %q rolling out", name)}
	}
	for _, c := range dep.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue && dep.Status.AvailableReplicas >= want {
			return ready
		}
	}
	return conditions.Outcome{Kind: conditions.Progressing, Reason: "WorkloadNotAvailable",
		Message: fmt.Sprintf("deployment %q has %d/%d replicas available", name, dep.Status.AvailableReplicas, want)}
}
