package controller

import (
	"context"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crcontroller "sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// Field indexes: each lists the names of objects of one kind that an object
// refers to, so a change to a referenced object wakes exactly its dependants.
const (
	indexDataSource = "retention.dev/datasource"
	indexSegment    = "retention.dev/segment"
	indexChannel    = "retention.dev/channel"
	indexProgram    = "retention.dev/loyaltyprogram"
	indexSecret     = "retention.dev/secret"
)

// SetupAll registers the five reconcilers, their indexes and watches.
func SetupAll(mgr manager.Manager, base Base) error {
	if err := registerIndexes(mgr); err != nil {
		return err
	}
	base.applied, base.identities = &appliedGenerations{}, &workerIdentities{}
	c := mgr.GetClient()
	// Several workers per kind (the manager's MaxConcurrentReconciles,
	// operator.DefaultMaxConcurrentReconciles unless set).
	opts := crcontroller.Options{RateLimiter: rateLimiter()}
	readyChanged := builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, readyConditionChanged{}))
	secretMeta := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}}

	if err := ctrl.NewControllerManagedBy(mgr).For(&v1alpha1.DataSource{}).WithOptions(opts).
		Owns(&appsv1.Deployment{}). // spec.ingest: Ready follows the ingestion API's rollout
		WatchesMetadata(secretMeta, enqueueReferrers(c, &v1alpha1.DataSourceList{}, indexSecret)).
		Complete(&DataSourceReconciler{Base: base}); err != nil {
		return err
	}
	if err := ctrl.NewControllerManagedBy(mgr).For(&v1alpha1.Channel{}).WithOptions(opts).
		// spec.preferences runs a page server: its Deployment's availability is the Channel's.
		Owns(&appsv1.Deployment{}).Owns(&corev1.Service{}).Owns(&corev1.ConfigMap{}).
		WatchesMetadata(secretMeta, enqueueReferrers(c, &v1alpha1.ChannelList{}, indexSecret)).
		Complete(&ChannelReconciler{Base: base}); err != nil {
		return err
	}
	if err := ctrl.NewControllerManagedBy(mgr).For(&v1alpha1.Segment{}).WithOptions(opts).
		Owns(&batchv1.CronJob{}).Owns(&corev1.ConfigMap{}).
		Watches(&v1alpha1.DataSource{}, enqueueReferrers(c, &v1alpha1.SegmentList{}, indexDataSource), readyChanged).
		Watches(&v1alpha1.LoyaltyProgram{}, enqueueReferrers(c, &v1alpha1.SegmentList{}, indexProgram), readyChanged).
		Complete(&SegmentReconciler{Base: base}); err != nil {
		return err
	}
	if err := ctrl.NewControllerManagedBy(mgr).For(&v1alpha1.LoyaltyProgram{}).WithOptions(opts).
		Owns(&appsv1.Deployment{}).Owns(&corev1.Service{}).Owns(&batchv1.CronJob{}).Owns(&corev1.ConfigMap{}).
		Watches(&v1alpha1.DataSource{}, enqueueReferrers(c, &v1alpha1.LoyaltyProgramList{}, indexDataSource), readyChanged).
		WatchesMetadata(secretMeta, enqueueReferrers(c, &v1alpha1.LoyaltyProgramList{}, indexSecret)).
		Complete(&LoyaltyProgramReconciler{Base: base}); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).For(&v1alpha1.Playbook{}).WithOptions(opts).
		Owns(&appsv1.Deployment{}).Owns(&corev1.ConfigMap{}).
		Watches(&v1alpha1.Segment{}, enqueueReferrers(c, &v1alpha1.PlaybookList{}, indexSegment), readyChanged).
		Watches(&v1alpha1.Channel{}, enqueueReferrers(c, &v1alpha1.PlaybookList{}, indexChannel), readyChanged).
		Watches(&v1alpha1.LoyaltyProgram{}, enqueueReferrers(c, &v1alpha1.PlaybookList{}, indexProgram), readyChanged).
		// A Segment's DataSource is the Playbook's too (its worker reads it).
		Watches(&v1alpha1.DataSource{}, handler.EnqueueRequestsFromMapFunc(playbooksOfDataSource(c)), readyChanged).
		Complete(&PlaybookReconciler{Base: base})
}

// enqueueReferrers maps a changed object to the objects in list whose index
// names it.
func enqueueReferrers(c client.Client, list client.ObjectList, index string) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, obj client.Object) []reconcile.Request {
		l := list.DeepCopyObject().(client.ObjectList)
		if err := c.List(ctx, l, client.InNamespace(obj.GetNamespace()), client.MatchingFields{index: obj.GetName()}); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "list referrers", "index", index)
			return nil
		}
		return requestsFor(l)
	})
}

func playbooksOfDataSource(c client.Client) handler.MapFunc {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		var segs v1alpha1.SegmentList
		if err := c.List(ctx, &segs, client.InNamespace(obj.GetNamespace()), client.MatchingFields{indexDataSource: obj.GetName()}); err != nil {
			return nil
		}
		var out []reconcile.Request
		for _, s := range segs.Items {
			var pbs v1alpha1.PlaybookList
			if err := c.List(ctx, &pbs, client.InNamespace(obj.GetNamespace()), client.MatchingFields{indexSegment: s.Name}); err != nil {
				continue
			}
			out = append(out, requestsFor(&pbs)...)
		}
		return out
	}
}

func requestsFor(list client.ObjectList) []reconcile.Request {
	var out []reconcile.Request
	_ = forEachItem(list, func(o client.Object) {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(o)})
	})
	return out
}

// readyConditionChanged passes updates that change a referenced object's Ready
// condition, so dependants unblock the moment it turns Ready.
type readyConditionChanged struct {
	predicate.Funcs
}

func (readyConditionChanged) Update(e event.UpdateEvent) bool {
	oldObj, ok1 := e.ObjectOld.(statusObject)
	newObj, ok2 := e.ObjectNew.(statusObject)
	if !ok1 || !ok2 {
		return true
	}
	return readyOf(oldObj) != readyOf(newObj)
}

func readyOf(obj statusObject) string {
	for _, c := range *obj.GetConditions() {
		if c.Type == v1alpha1.ConditionReady {
			return string(c.Status) + "/" + c.Reason
		}
	}
	return ""
}

// rateLimiter is Flux's default: per-item exponential backoff from 750 ms to
// 15 minutes, so a failing object neither spins nor waits too long.
func rateLimiter() workqueue.TypedRateLimiter[reconcile.Request] {
	return workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](750*time.Millisecond, 15*time.Minute)
}
