package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/internal/operator"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// standIn plays the two parts of a cluster the objects' Ready waits on,
// as fast as a cluster could at best: the metric job of a Segment's first
// run reports success (what `worker metrics` publishes), and a campaign
// Deployment reports itself rolled out and available (what the deployment
// controller and kubelets report). Its writes are the bench user's.
type standIn struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

const standInWorkers = 8

func startStandIn(parent context.Context, c *clients, namespace string) *standIn {
	ctx, cancel := context.WithCancel(parent)
	s := &standIn{cancel: cancel}
	work := make(chan func(context.Context) error, 4096)
	owned := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{workload.ManagedByLabel: workload.ManagedBy})}
	informers, err := cache.New(c.adminConfig(), cache.Options{Scheme: operator.Scheme(),
		DefaultNamespaces: map[string]cache.Config{namespace: {}},
		ByObject:          map[client.Object]cache.ByObject{&batchv1.Job{}: owned, &appsv1.Deployment{}: owned}})
	if err != nil {
		panic(err)
	}
	enqueue := func(f func(context.Context) error) {
		select {
		case work <- f:
		case <-ctx.Done():
		}
	}
	jobs, _ := informers.GetInformer(ctx, &batchv1.Job{})
	_, _ = jobs.AddEventHandler(toolscache.ResourceEventHandlerFuncs{AddFunc: func(obj any) {
		if job, ok := obj.(*batchv1.Job); ok && job.Labels[workload.ComponentLabel] == workload.ComponentMetrics {
			owner := job.Labels[workload.InstanceLabel]
			enqueue(func(ctx context.Context) error { return publishSegmentReport(ctx, c, namespace, owner) })
		}
	}})
	deployments, _ := informers.GetInformer(ctx, &appsv1.Deployment{})
	rollOut := func(obj any) {
		if dep, ok := obj.(*appsv1.Deployment); ok && !rolledOut(dep) {
			dep = dep.DeepCopy()
			enqueue(func(ctx context.Context) error { return markAvailable(ctx, c, dep) })
		}
	}
	_, _ = deployments.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: rollOut, UpdateFunc: func(_, obj any) { rollOut(obj) },
	})
	s.wg.Go(func() { _ = informers.Start(ctx) })
	for range standInWorkers {
		s.wg.Go(func() {
			for {
				select {
				case f := <-work:
					if err := retry(ctx, f); err != nil && ctx.Err() == nil {
						fmt.Fprintln(os.Stderr, "stand-in:", err)
					}
				case <-ctx.Done():
					return
				}
			}
		})
	}
	return s
}

func (s *standIn) stop() {
	s.cancel()
	s.wg.Wait()
}

// retry runs f up to 20 times, 250 ms apart: a report ConfigMap the manager
// applied a moment ago may not be visible yet.
func retry(ctx context.Context, f func(context.Context) error) error {
	var err error
	for range 20 {
		if err = f(ctx); err == nil || ctx.Err() != nil {
			return err
		}
		select {
		case <-time.After(250 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return err
}

// publishSegmentReport writes a successful run's summary into the Segment's
// report ConfigMap, as the metric job's publisher does (a merge patch of data).
func publishSegmentReport(ctx context.Context, c *clients, namespace, segment string) error {
	now := time.Now().UTC()
	summary, err := json.Marshal(report.Segment{
		RunTime: now, Succeeded: true, DataSourceReachable: true, LastSuccess: &now,
		Size: 120, Entered: 120, Customers: 1000,
		Metrics: map[string]report.Figure{"churnRate": 25, "repeatPurchaseRate": 50},
	})
	if err != nil {
		return err
	}
	patch, err := json.Marshal(map[string]any{"data": map[string]string{report.Key: string(summary)}})
	if err != nil {
		return err
	}
	name := segment + "-" + workload.ComponentMetrics + "-report"
	_, err = c.kube.CoreV1().ConfigMaps(namespace).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "bench-worker"})
	return err
}

func rolledOut(dep *appsv1.Deployment) bool {
	want := int32(1)
	if dep.Spec.Replicas != nil {
		want = *dep.Spec.Replicas
	}
	return dep.Status.ObservedGeneration >= dep.Generation && dep.Status.AvailableReplicas == want
}

// markAvailable gives a Deployment the status of a finished rollout.
func markAvailable(ctx context.Context, c *clients, dep *appsv1.Deployment) error {
	want := int32(1)
	if dep.Spec.Replicas != nil {
		want = *dep.Spec.Replicas
	}
	status := appsv1.DeploymentStatus{
		ObservedGeneration: dep.Generation,
		Replicas:           want, UpdatedReplicas: want, ReadyReplicas: want, AvailableReplicas: want,
		Conditions: []appsv1.DeploymentCondition{{
			Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable",
			LastUpdateTime: metav1.Now(), LastTransitionTime: metav1.Now(),
		}},
	}
	patch, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		return err
	}
	_, err = c.kube.AppsV1().Deployments(dep.Namespace).Patch(ctx, dep.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "bench-kubelet"}, "status")
	return err
}
