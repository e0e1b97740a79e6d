package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// workerNames are the names of the ConfigMaps one custom resource's worker
// uses (its identity is the namespace's, workload.WorkerIdentity).
type workerNames struct {
	spec, report string
}

func namesFor(owner workload.Owner, component string) workerNames {
	base := owner.Name + "-" + component
	return workerNames{spec: base, report: base + "-report"}
}

// reconcileWorkerSpec is reconcileWorkerBase for a spec that specmap built
// from an object and its references, with the error of that build: a spec
// that cannot be built names a reference the user must fix (Stalled).
func (b *Base) reconcileWorkerSpec(ctx context.Context, owner workload.Owner, component string, spec any, buildErr error) (string, error) {
	if buildErr != nil {
		return "", &specError{"InvalidReference", buildErr.Error()}
	}
	return b.reconcileWorkerBase(ctx, owner, component, spec)
}

// reconcileWorkerBase applies the objects every worker needs before it can
// run: its spec ConfigMap, an empty report ConfigMap, and the grant of that
// report to the namespace's worker identity. It returns the spec's hash for
// the pod template. Each is written only when it changed (apply).
func (b *Base) reconcileWorkerBase(ctx context.Context, owner workload.Owner, component string, spec any) (string, error) {
	n := namesFor(owner, component)
	data, err := contract.Render(spec)
	if err != nil {
		return "", err
	}
	if err := b.apply(ctx, workload.SpecConfigMap(owner, component, n.spec, data)); err != nil {
		return "", fmt.Errorf("apply spec configmap: %w", err)
	}
	if err := b.apply(ctx, workload.ReportConfigMap(owner, component, n.report)); err != nil {
		return "", fmt.Errorf("apply report configmap: %w", err)
	}
	if err := b.grantReport(ctx, owner.Namespace, n.report); err != nil {
		return "", err
	}
	return workload.Hash(data), nil
}

// workerPod describes a worker container for one command.
func (b *Base) workerPod(owner workload.Owner, component, command, specHash string, ds *v1alpha1.DataSourceSpec, state []corev1.EnvVar) workload.Pod {
	n := namesFor(owner, component)
	pod := workload.Pod{
		Image:          b.WorkerImage,
		Args:           []string{command, "--spec=" + workload.SpecFile},
		SpecConfigMap:  n.spec,
		SpecHash:       specHash,
		ServiceAccount: workload.WorkerIdentity,
		Env: []corev1.EnvVar{
			{Name: contract.EnvNamespace, Value: owner.Namespace},
			{Name: contract.EnvReportConfigMap, Value: n.report},
		},
	}
	if ds != nil {
		pod.Env = append(pod.Env, dataSourceEnv(ds)...)
		pod.Env = append(pod.Env, state...)
		if ds.File != nil && ds.File.ConfigMapRef != nil {
			pod.DataConfigMap = ds.File.ConfigMapRef.Name
		}
	}
	return pod
}

// dataSourceEnv passes the data source DSN from its Secret; the manager
// itself never reads it. (The state store comes from resolveStateStore.)
func dataSourceEnv(ds *v1alpha1.DataSourceSpec) []corev1.EnvVar {
	var env []corev1.EnvVar
	if ds.Postgres != nil {
		env = append(env, secretEnv(contract.EnvDataSourceDSN, ds.Postgres.DSNSecretRef))
	}
	return env
}

func secretEnv(name string, ref v1alpha1.SecretKeySelector) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: ref.Name}, Key: ref.Key,
	}}}
}

// decodeReport reads and decodes a worker's report: ok is false while the
// worker has written none. One policy for every kind: a report that cannot be
// decoded is a specError (the object stalls, naming it), an API error is
// returned as it is and retried.
func decodeReport[T any](ctx context.Context, b *Base, owner workload.Owner, component string) (rep T, ok bool, err error) {
	data, err := b.readReport(ctx, owner, component)
	if apierrors.IsNotFound(err) {
		return rep, false, nil
	}
	if err != nil {
		return rep, false, err
	}
	ok, err = report.Decode(data, &rep)
	if err != nil {
		return rep, false, &specError{"InvalidReport", fmt.Sprintf("report ConfigMap %q: %v", namesFor(owner, component).report, err)}
	}
	return rep, ok, nil
}

// readReport reads the worker's summary from its report ConfigMap (cached).
func (b *Base) readReport(ctx context.Context, owner workload.Owner, component string) (map[string]string, error) {
	var cm corev1.ConfigMap
	err := b.Get(ctx, types.NamespacedName{Namespace: owner.Namespace, Name: namesFor(owner, component).report}, &cm)
	if err != nil {
		return nil, err
	}
	return cm.Data, nil
}
