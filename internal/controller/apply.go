package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/internal/workload"
)

// ownedApply is what internal/workload's builders return: a server-side
// apply configuration that knows its kind and name.
type ownedApply interface {
	GetAPIVersion() *string
	GetKind() *string
	GetName() *string
	GetNamespace() *string
}

// appliedGenerations remembers, per object UID, the metadata.generation the
// operator last applied or confirmed. A Deployment's or CronJob's generation
// moves only when its spec changes, so a cached generation that differs
// from the remembered one is someone else's edit (kubectl scale, edit):
// it is applied over again, as before this cache of applies existed.
// Objects without a generation (ConfigMaps, RBAC) are checked by their
// applied-hash annotation alone. One entry per owned object (a UID and an
// int64): a few hundred KiB for thousands of objects.
type appliedGenerations struct {
	mu  sync.Mutex
	gen map[types.UID]int64
}

func (a *appliedGenerations) matches(uid types.UID, generation int64) bool {
	if a == nil {
		return true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gen == nil {
		a.gen = map[types.UID]int64{}
	}
	was, known := a.gen[uid]
	if !known { // first look since the manager started: trust the annotation
		a.gen[uid] = generation
		return true
	}
	return was == generation
}

func (a *appliedGenerations) record(uid types.UID, generation int64) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gen == nil {
		a.gen = map[types.UID]int64{}
	}
	a.gen[uid] = generation
}

// apply server-side-applies an owned object with forced ownership (the
// operator is the only writer of the fields it sets), but only when it
// differs from what the operator last applied: the desired object's digest
// is stamped on it (workload.AppliedHashAnnotation) and compared with the
// cached copy, so a reconcile that finds everything in place writes nothing.
// That is what keeps the API writes of converging thousands of objects at a
// few per object, and a quiet cluster at none. An object that is missing,
// being deleted, of another digest, or edited by someone else since (its
// generation moved) is applied.
func (b *Base) apply(ctx context.Context, ac ownedApply) error {
	raw, err := json.Marshal(ac)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	digest := hex.EncodeToString(sum[:])[:16]
	gvk := schema.FromAPIVersionAndKind(deref(ac.GetAPIVersion()), deref(ac.GetKind()))
	key := types.NamespacedName{Namespace: deref(ac.GetNamespace()), Name: deref(ac.GetName())}
	if b.upToDate(ctx, gvk, key, digest, ac) {
		return nil
	}
	u := &unstructured.Unstructured{}
	if err := json.Unmarshal(raw, &u.Object); err != nil {
		return err
	}
	annotations := u.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[workload.AppliedHashAnnotation] = digest
	u.SetAnnotations(annotations)
	if err := b.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return err
	}
	if u.GetUID() != "" { // the server's answer, decoded into u
		b.applied.record(u.GetUID(), u.GetGeneration())
	}
	return nil
}

// upToDate reports whether the cached object carries digest, is not being
// deleted and has not been edited by anyone else since. The cache holds
// every kind the operator applies (filtered to what it owns); a read error
// means "apply", which is always safe.
func (b *Base) upToDate(ctx context.Context, gvk schema.GroupVersionKind, key types.NamespacedName, digest string, ac ownedApply) bool {
	obj, err := b.Scheme().New(gvk)
	if err != nil {
		return false
	}
	cached, ok := obj.(client.Object)
	if !ok {
		return false
	}
	if err := b.Get(ctx, key, cached); err != nil {
		return false // not there yet (or unreadable): apply
	}
	if !cached.GetDeletionTimestamp().IsZero() || cached.GetAnnotations()[workload.AppliedHashAnnotation] != digest {
		return false
	}
	// A spec ConfigMap has no generation; its data is what a worker runs,
	// so it is compared as well (someone else's edit is put right at once).
	if want, ok := ac.(*corev1ac.ConfigMapApplyConfiguration); ok && want.Data != nil {
		cm, ok := cached.(*corev1.ConfigMap)
		if !ok || !maps.Equal(cm.Data, want.Data) {
			return false
		}
	}
	return b.applied.matches(cached.GetUID(), cached.GetGeneration())
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
