package controller

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/internal/workload"
)

// workerIdentities keeps one worker identity per namespace
// (workload.WorkerIdentity: a ServiceAccount, and a Role that lists the
// namespace's report ConfigMaps by name) and grants each new report before
// its worker is applied, so a worker never starts without the right to
// write its report.
//
// Granting is group-committed: the reconcilers that need a grant at the
// same moment (a thousand Segments applied at once) wait on one lock per
// namespace, and whoever holds it applies the Role with every name that is
// pending, so a burst costs a few Role writes, not one per object.
type workerIdentities struct {
	mu   sync.Mutex
	byNS map[string]*namespaceIdentity
}

type namespaceIdentity struct {
	apply sync.Mutex // held while the Role is applied
	mu    sync.Mutex // guards the maps
	// pending are names waiting for the next apply; granted are the names in
	// the last applied Role, with when they were first granted.
	pending map[string]bool
	granted map[string]time.Time
}

// cacheLag is how long a name granted by this process counts as granted
// although the cached Role does not show it yet (the watch event of the
// apply is on its way), and how long a granted name survives an apply whose
// cache listing of report ConfigMaps does not show it yet.
const cacheLag = time.Minute

func (w *workerIdentities) namespace(ns string) *namespaceIdentity {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.byNS == nil {
		w.byNS = map[string]*namespaceIdentity{}
	}
	ni := w.byNS[ns]
	if ni == nil {
		ni = &namespaceIdentity{pending: map[string]bool{}, granted: map[string]time.Time{}}
		w.byNS[ns] = ni
	}
	return ni
}

// grantReport makes sure the namespace's worker identity exists and its Role
// names report. Nothing is written when it already does.
func (b *Base) grantReport(ctx context.Context, namespace, report string) error {
	if b.identityInCache(ctx, namespace, report) {
		return nil
	}
	identities := b.identities
	if identities == nil { // a reconciler built outside SetupAll (tests): no batching, same result
		identities = &workerIdentities{}
	}
	ni := identities.namespace(namespace)
	ni.mu.Lock()
	if t, ok := ni.granted[report]; ok && time.Since(t) < cacheLag {
		ni.mu.Unlock()
		return nil // granted a moment ago; the cache has not caught up yet
	}
	ni.pending[report] = true
	ni.mu.Unlock()

	ni.apply.Lock()
	defer ni.apply.Unlock()
	ni.mu.Lock()
	if !ni.pending[report] {
		ni.mu.Unlock()
		return nil // the apply before ours included it (a name leaves pending only when granted)
	}
	ni.mu.Unlock()
	listed, err := b.cachedReports(ctx, namespace)
	if err != nil {
		return err
	}
	now := time.Now()
	ni.mu.Lock()
	names := map[string]time.Time{}
	for _, n := range listed {
		names[n] = firstGranted(ni.granted, n, now)
	}
	for n := range ni.pending {
		names[n] = firstGranted(ni.granted, n, now)
	}
	for n, t := range ni.granted {
		if now.Sub(t) < cacheLag {
			names[n] = t // granted a moment ago, not yet listed by the cache
		}
	}
	ni.mu.Unlock()

	if err := b.applyIdentity(ctx, namespace, keys(names)); err != nil {
		return err
	}
	ni.mu.Lock()
	ni.granted = names
	for n := range names {
		delete(ni.pending, n)
	}
	ni.mu.Unlock()
	return nil
}

func firstGranted(granted map[string]time.Time, name string, now time.Time) time.Time {
	if t, ok := granted[name]; ok {
		return t
	}
	return now
}

func keys(m map[string]time.Time) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// applyIdentity applies the namespace's worker ServiceAccount, Role and
// RoleBinding (apply writes only what changed: usually just the Role).
func (b *Base) applyIdentity(ctx context.Context, namespace string, reports []string) error {
	if err := b.apply(ctx, workload.WorkerServiceAccount(namespace)); err != nil {
		return fmt.Errorf("apply worker service account: %w", err)
	}
	if err := b.apply(ctx, workload.WorkerRole(namespace, reports)); err != nil {
		return fmt.Errorf("apply worker role: %w", err)
	}
	if err := b.apply(ctx, workload.WorkerRoleBinding(namespace)); err != nil {
		return fmt.Errorf("apply worker role binding: %w", err)
	}
	return nil
}

// identityInCache reports whether the cached identity is complete and its
// Role grants report.
func (b *Base) identityInCache(ctx context.Context, namespace, report string) bool {
	key := types.NamespacedName{Namespace: namespace, Name: workload.WorkerIdentity}
	var role rbacv1.Role
	if err := b.Get(ctx, key, &role); err != nil || !role.DeletionTimestamp.IsZero() {
		return false
	}
	if !grants(&role, report) {
		return false
	}
	if err := b.Get(ctx, key, &corev1.ServiceAccount{}); err != nil {
		return false
	}
	var binding rbacv1.RoleBinding
	return b.Get(ctx, key, &binding) == nil && binding.DeletionTimestamp.IsZero()
}

// grants reports whether a Role lets its subject update the ConfigMap name.
func grants(role *rbacv1.Role, name string) bool {
	for _, r := range role.Rules {
		if slices.Contains(r.Resources, "configmaps") && slices.Contains(r.ResourceNames, name) && slices.Contains(r.Verbs, "update") {
			return true
		}
	}
	return false
}

// cachedReports lists the namespace's report ConfigMaps (workload.ReportLabel).
func (b *Base) cachedReports(ctx context.Context, namespace string) ([]string, error) {
	var cms corev1.ConfigMapList
	if err := b.List(ctx, &cms, client.InNamespace(namespace), client.MatchingLabels{workload.ReportLabel: "true"}); err != nil {
		return nil, err
	}
	var names []string
	for _, cm := range cms.Items {
		if cm.DeletionTimestamp.IsZero() {
			names = append(names, cm.Name)
		}
	}
	return names, nil
}
