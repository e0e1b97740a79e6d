package controller

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/retention-dev/retention-operator/internal/conditions"
)

// deploymentOutcome surfaces an owned Deployment's health on the custom
// resource (Argo CD and kstatus read the resource, not its children): ready
// is returned once the Deployment has rolled out and has its replicas
// available; before that the resource is Progressing. A Deployment not yet in
// the cache (it was applied a moment ago) is ordinary progress: its watch
// event wakes the resource again. Other read errors are returned, so they
// are retried.
func (b *Base) deploymentOutcome(ctx context.Context, namespace, name string, want int32, ready conditions.Outcome) (conditions.Outcome, error) {
	var dep appsv1.Deployment
	if err := b.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &dep); err != nil {
		if apierrors.IsNotFound(err) {
			return conditions.Outcome{Kind: conditions.Progressing, Reason: "RollingOut",
				Message: fmt.Sprintf("deployment %q applied; waiting for it to roll out", name)}, nil
		}
		return conditions.Outcome{}, err
	}
	if want == 0 {
		return ready, nil
	}
	if dep.Status.ObservedGeneration < dep.Generation {
		return conditions.Outcome{Kind: conditions.Progressing, Reason: "RollingOut",
			Message: fmt.Sprintf("deployment %q rolling out", name)}, nil
	}
	for _, c := range dep.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue && dep.Status.AvailableReplicas >= want {
			return ready, nil
		}
	}
	return conditions.Outcome{Kind: conditions.Progressing, Reason: "WorkloadNotAvailable",
		Message: fmt.Sprintf("deployment %q has %d/%d replicas available", name, dep.Status.AvailableReplicas, want)}, nil
}
