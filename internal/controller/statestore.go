package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
)

// StateStorePolicy says where stateful workers (the metric job, the loyalty
// API, campaign workers) keep their state when a DataSource names no
// spec.stateStore. In a cluster each pod's own storage dies with the pod and
// is not shared with its siblings, so private state re-sends messages after a
// restart, lets replicas send twice, and makes every figure start from zero:
// unless a shared store is configured, stateful resources are not Ready.
type StateStorePolicy struct {
	// SecretName, when set, names a Secret in each resource's namespace whose
	// SecretKey holds the state store's postgres:// URL (the chart's
	// stateStore.secretName: the production setting).
	SecretName, SecretKey string
	// URL, when set, is given to every worker as it is. Local runs declare their
	// one shared SQLite file this way (every local process sees the same
	// file system); in a cluster it is a postgres:// URL without credentials.
	URL string
	// AllowPrivate lets each worker pod keep its own embedded SQLite state:
	// evaluation only (restarts re-send, replicas send twice, figures reset).
	AllowPrivate bool
}

// DefaultStateStoreKey is the Secret key read when the policy names none.
const DefaultStateStoreKey = "dsn"

// stateStoreRequired is the reason of a stateful resource with nowhere
// shared to keep its state.
const stateStoreRequired = "StateStoreRequired"

// resolveStateStore returns the environment that points a worker at its state
// store, checking that a Secret it names exists with the key (its value is
// never read). The DataSource's own stateStore wins over the operator-wide
// default.
func (b *Base) resolveStateStore(ctx context.Context, namespace, dataSource string, ds *v1alpha1.DataSourceSpec) ([]corev1.EnvVar, error) {
	p := b.StateStore
	switch {
	case ds.StateStore != nil:
		ref := ds.StateStore.DSNSecretRef
		if err := b.checkSecretKeys(ctx, namespace, ref.Name, ref.Key); err != nil {
			return nil, err
		}
		return []corev1.EnvVar{secretEnv(contract.EnvStateStore, ref)}, nil
	case p.SecretName != "":
		key := p.SecretKey
		if key == "" {
			key = DefaultStateStoreKey
		}
		if err := b.checkSecretKeys(ctx, namespace, p.SecretName, key); err != nil {
			// poll: nothing indexes the operator-wide Secret, so its arrival is
			// noticed by looking again.
			return nil, &refError{reason: stateStoreRequired, poll: true, message: fmt.Sprintf(
				"the operator keeps worker state in the store named by Secret %q (key %q) in each namespace: %v; "+
					"create it with a postgres:// URL, or set spec.stateStore on DataSource %q", p.SecretName, key, err, dataSource)}
		}
		return []corev1.EnvVar{secretEnv(contract.EnvStateStore, v1alpha1.SecretKeySelector{Name: p.SecretName, Key: key})}, nil
	case p.URL != "":
		return []corev1.EnvVar{{Name: contract.EnvStateStore, Value: p.URL}}, nil
	case p.AllowPrivate:
		return nil, nil // each pod's embedded SQLite (the worker's default)
	default:
		return nil, &specError{stateStoreRequired, fmt.Sprintf(
			"no shared state store: set spec.stateStore on DataSource %q (a Secret key holding a postgres:// URL), "+
				"or install the operator with the chart value stateStore.secretName (a Secret with that URL in this namespace); "+
				"workers must not keep private state in a cluster (a restart would re-send messages and reset figures)", dataSource)}
	}
}
