// Package controller holds one reconciler per kind. Each reconciles in small
// named steps and ends in one deferred status summary; the shapes of owned
// objects come from internal/workload, validation from the engines.
package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/conditions"
	"github.com/retention-dev/retention-operator/internal/redact"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// FieldOwner is the server-side apply field manager of everything the
// operator writes.
const FieldOwner = "retention-operator"

// Base is what every reconciler shares.
type Base struct {
	client.Client
	// APIReader reads Secrets and user ConfigMaps straight from the API server:
	// the manager keeps no cache of them (it must never hold their contents).
	APIReader client.Reader
	Recorder  events.EventRecorder
	// WorkerImage runs every worker pod (defaults to the manager's own image).
	WorkerImage string
	// StateStore says where stateful workers keep state by default.
	StateStore StateStorePolicy

	// Shared by every reconciler (SetupAll sets them): what was applied
	// (apply.go) and the namespaces' worker identities (identity.go).
	applied    *appliedGenerations
	identities *workerIdentities
}

// ownerOf describes a custom resource as the owner of its workloads.
func ownerOf(obj client.Object, kind string) workload.Owner {
	return workload.Owner{
		APIVersion: v1alpha1.GroupVersion.String(),
		Kind:       kind,
		Name:       obj.GetName(),
		Namespace:  obj.GetNamespace(),
		UID:        obj.GetUID(),
	}
}

// statusObject is a custom resource with conditions.
type statusObject interface {
	client.Object
	conditions.Object
	ObserveGeneration()
}

// reconcileStatus is the frame of every Reconcile, in Flux's shape: fetch the
// object; let go if it is being deleted (the garbage collector removes what it
// owns, and re-applying children would race it: foreground deletion and
// Argo CD's prune would never finish); otherwise let run reconcile it, and
// write status in a real defer, so a panic or an early return in a step still
// leaves status written. A step's error becomes the outcome through its type
// (refError: Progressing, specError: Stalled, anything else: transient and
// retried with backoff), matched with errors.As so wrapping never changes it.
func (b *Base) reconcileStatus(ctx context.Context, req ctrl.Request, obj statusObject,
	run func() (conditions.Outcome, error)) (result ctrl.Result, retErr error) {
	if err := b.Get(ctx, req.NamespacedName, obj); err != nil {
		if apierrors.IsNotFound(err) {
			forgetMetrics(obj, req.Namespace, req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !obj.GetDeletionTimestamp().IsZero() {
		forgetMetrics(obj, req.Namespace, req.Name)
		return ctrl.Result{}, nil
	}
	before := obj.DeepCopyObject().(statusObject)
	outcome := conditions.Outcome{Kind: conditions.Progressing, Reason: "ReconcileError", Message: "reconcile did not finish"}
	defer func() {
		if p := recover(); p != nil {
			outcome = conditions.Outcome{Kind: conditions.Progressing, Reason: "ReconcileError", Message: "internal error while reconciling; retrying"}
			retErr = fmt.Errorf("panic while reconciling: %v", p)
		}
		if outcome.Kind == letGo {
			return
		}
		if final(outcome) {
			obj.ObserveGeneration()
		}
		wait, err := b.finish(ctx, obj, before, outcome)
		if err != nil && retErr == nil {
			retErr = err
		}
		if wait > 0 && (result.RequeueAfter == 0 || wait < result.RequeueAfter) {
			result.RequeueAfter = wait // write the held-back status then, if nothing wakes it first
		}
	}()
	var err error
	outcome, err = run()
	if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		// The namespace is being deleted and takes this object with it:
		// nothing can be created there any more, so let go quietly.
		outcome.Kind = letGo
		return ctrl.Result{}, nil
	}
	if err != nil {
		outcome = outcomeOf(err)
		result, retErr = requeueFor(err)
	}
	return result, retErr
}

// letGo is the outcome of a reconcile that writes nothing: its namespace is
// going away.
const letGo conditions.OutcomeKind = -1

// final reports whether an outcome settles the current generation: Ready or
// Stalled. Anything still in progress (a transient error, a reference not yet
// Ready, a rollout) leaves observedGeneration where it was, so kstatus and
// `kubectl wait` do not take the new generation as reconciled too early.
func final(o conditions.Outcome) bool {
	return o.Kind == conditions.Ready || o.Kind == conditions.Stalled
}

// ready is the outcome of a reconcile that found everything in place.
func ready(reason, message string) conditions.Outcome {
	return conditions.Outcome{Kind: conditions.Ready, Reason: reason, Message: message}
}

// finish is deferred by every Reconcile: it summarises the outcome into
// Ready/Reconciling/Stalled, records an event when Ready changed, and patches
// status only when it differs from what was read (steady state writes
// nothing). A Progressing status that only changes its reason while the
// object converges is held back for up to statusSettle (settling): wait is
// when to look again.
func (b *Base) finish(ctx context.Context, obj, before statusObject, outcome conditions.Outcome) (wait time.Duration, err error) {
	conditions.Summarise(obj, outcome)
	if wait := settling(obj, before, outcome, time.Now()); wait > 0 {
		return wait, nil
	}
	b.recordTransition(ctx, obj, before)
	patch := client.MergeFrom(before)
	data, err := patch.Data(obj)
	if err != nil {
		return 0, err
	}
	if string(data) == "{}" {
		return 0, nil
	}
	if err := b.Status().Patch(ctx, obj, patch); err != nil && !apierrors.IsNotFound(err) {
		return 0, fmt.Errorf("patch status: %w", err)
	}
	return 0, nil
}

// recordTransition emits an event when Ready's status or reason changed,
// except between two Progressing states.
func (b *Base) recordTransition(ctx context.Context, obj, before statusObject) {
	if b.Recorder == nil {
		return
	}
	now := conditions.Get(obj, v1alpha1.ConditionReady)
	was := conditions.Get(before, v1alpha1.ConditionReady)
	if now == nil || (was != nil && was.Status == now.Status && was.Reason == now.Reason) {
		return
	}
	// Progress within progress is not news: a new object that starts out
	// Progressing, or a Progressing one that moves to its next step (its
	// Segment turned Ready, now its Deployment rolls out), has it in its
	// status. Events mark arriving at Ready or Stalled, and leaving them;
	// thousands of converging objects then cost one event each.
	if conditions.IsTrue(obj, v1alpha1.ConditionReconciling) && (was == nil || conditions.IsTrue(before, v1alpha1.ConditionReconciling)) {
		return
	}
	// Warnings are for things a person must look at: a stalled object. Waiting
	// for a reference or a rollout is ordinary progress.
	kind := corev1.EventTypeNormal
	if conditions.IsTrue(obj, v1alpha1.ConditionStalled) {
		kind = corev1.EventTypeWarning
	}
	if b.namespaceTerminating(ctx, obj.GetNamespace()) {
		return // a transition caused by the namespace's deletion; no event can be stored there
	}
	b.Recorder.Eventf(obj, nil, kind, now.Reason, "Reconcile", "%s", now.Message)
}

// namespaceTerminating reports whether a namespace is being deleted, read
// live (transitions are rare). When deleting a namespace removes a Segment
// before the Playbooks that use it, those Playbooks change state on the way
// out; the API server refuses events in a terminating namespace.
func (b *Base) namespaceTerminating(ctx context.Context, name string) bool {
	if b.APIReader == nil {
		return false
	}
	var ns corev1.Namespace
	if err := b.APIReader.Get(ctx, types.NamespacedName{Name: name}, &ns); err != nil {
		return apierrors.IsNotFound(err)
	}
	return !ns.DeletionTimestamp.IsZero() || ns.Status.Phase == corev1.NamespaceTerminating
}

// refError is a problem with a reference that resolves itself once the
// referenced object appears or becomes Ready: a Progressing outcome. poll is
// set for references nothing watches (user ConfigMaps), which are looked at
// again after referencePoll instead.
type refError struct {
	reason, message string
	poll            bool
}

func (e *refError) Error() string { return e.reason + ": " + e.message }

func progressing(e *refError) conditions.Outcome {
	return conditions.Outcome{Kind: conditions.Progressing, Reason: e.reason, Message: e.message}
}

// specError is a spec that cannot work until a person changes it: Stalled.
type specError struct {
	reason, message string
}

func (e *specError) Error() string { return e.reason + ": " + e.message }

// outcomeOf maps a step's error onto a condition outcome; other errors are
// transient (API errors) and keep the object Reconciling while the request is
// retried.
func outcomeOf(err error) conditions.Outcome {
	var ref *refError
	var spec *specError
	switch {
	case errors.As(err, &ref):
		return progressing(ref)
	case errors.As(err, &spec):
		return conditions.Outcome{Kind: conditions.Stalled, Reason: spec.reason, Message: spec.message}
	default:
		// API errors can quote what they were given; redact before status.
		return conditions.Outcome{Kind: conditions.Progressing, Reason: "ReconcileError", Message: redact.Error(err)}
	}
}

// checkSecretKeys verifies that a Secret exists and has the keys, without
// keeping or echoing its values.
func (b *Base) checkSecretKeys(ctx context.Context, namespace, name string, keys ...string) error {
	var secret corev1.Secret
	if err := b.APIReader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &secret); err != nil {
		if apierrors.IsNotFound(err) {
			return &refError{reason: "SecretNotFound", message: fmt.Sprintf("secret %q not found in namespace %q", name, namespace)}
		}
		return err
	}
	for _, k := range keys {
		if _, ok := secret.Data[k]; !ok {
			if _, ok := secret.StringData[k]; !ok {
				return &refError{reason: "SecretKeyMissing", message: fmt.Sprintf("secret %q has no key %q; add it or change the reference", name, k)}
			}
		}
	}
	return nil
}

// checkConfigMapKeys verifies that a user ConfigMap exists with the keys.
func (b *Base) checkConfigMapKeys(ctx context.Context, namespace, name string, keys ...string) error {
	var cm corev1.ConfigMap
	if err := b.APIReader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &cm); err != nil {
		if apierrors.IsNotFound(err) {
			return &refError{reason: "ConfigMapNotFound", message: fmt.Sprintf("configmap %q not found in namespace %q", name, namespace), poll: true}
		}
		return err
	}
	for _, k := range keys {
		_, inData := cm.Data[k]
		_, inBinary := cm.BinaryData[k]
		if !inData && !inBinary {
			return &refError{reason: "ConfigMapKeyMissing", message: fmt.Sprintf("configmap %q has no key %q", name, k), poll: true}
		}
	}
	return nil
}

// getReady fetches a referenced custom resource and requires it to be Ready.
// kind is the lower-case kind used in messages (`segment "at-risk" not found`).
func getReady(ctx context.Context, c client.Reader, namespace, name, kind, reasonKind string, obj statusObject) error {
	if err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return &refError{reason: reasonKind + "NotFound", message: fmt.Sprintf("%s %q not found in namespace %q", kind, name, namespace)}
		}
		return err
	}
	if !conditions.IsTrue(obj, v1alpha1.ConditionReady) {
		msg := fmt.Sprintf("%s %q is not Ready", kind, name)
		if c := conditions.Get(obj, v1alpha1.ConditionReady); c != nil && c.Message != "" {
			msg += ": " + c.Message
		}
		return &refError{reason: reasonKind + "NotReady", message: msg}
	}
	return nil
}
