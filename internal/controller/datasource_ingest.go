package controller

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/conditions"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// IngestPort is the ingestion API's Service port.
const IngestPort = 8080

// ingestName names a DataSource's ingestion Deployment and Service.
func ingestName(ds *v1alpha1.DataSource) string { return ds.Name + "-ingest" }

// reconcileIngest runs the DataSource's ingestion API (spec.ingest): the
// write-key Secret must hold its key and a shared state store must exist
// (the API's events are read by the campaign workers there); then the
// worker base, the Deployment and the Service are applied. The DataSource is
// Ready once the API is available.
func (r *DataSourceReconciler) reconcileIngest(ctx context.Context, ds *v1alpha1.DataSource) (conditions.Outcome, error) {
	in := ds.Spec.Ingest
	key := in.WriteKeySecretRef
	if err := r.checkSecretKeys(ctx, ds.Namespace, key.Name, key.Key); err != nil {
		return conditions.Outcome{}, err
	}
	state, err := r.resolveStateStore(ctx, ds.Namespace, ds.Name, &ds.Spec)
	if err != nil {
		return conditions.Outcome{}, err
	}
	owner := ownerOf(ds, "DataSource")
	spec := contract.Ingest{Namespace: ds.Namespace, Name: ds.Name,
		Source: contract.IngestSource(ds.Namespace, ds.Name), WriteKeyKey: key.Key}
	hash, err := r.reconcileWorkerBase(ctx, owner, workload.ComponentIngest, spec)
	if err != nil {
		return conditions.Outcome{}, err
	}
	// The API reads no customer data: only the state store's environment.
	pod := r.workerPod(owner, workload.ComponentIngest, "ingest", hash, nil, nil)
	pod.Env = append(pod.Env, state...)
	pod.Secrets = []workload.SecretMount{{Secret: key.Name, Dir: contract.IngestWriteKeyDir}}
	pod.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: IngestPort}}
	pod.Probe = "/readyz"
	name := ingestName(ds)
	replicas := ingestReplicas(in)
	if err := r.apply(ctx, workload.Deployment(owner, workload.ComponentIngest, name, replicas, pod)); err != nil {
		return conditions.Outcome{}, fmt.Errorf("apply ingest deployment: %w", err)
	}
	if err := r.apply(ctx, workload.Service(owner, workload.ComponentIngest, name, IngestPort, "http")); err != nil {
		return conditions.Outcome{}, fmt.Errorf("apply ingest service: %w", err)
	}
	ds.Status.IngestEndpoint = fmt.Sprintf("http://%s.%s.svc:%d", name, ds.Namespace, IngestPort)
	return r.deploymentOutcome(ctx, ds.Namespace, name, replicas,
		ready("Configured", "configuration complete; ingestion API available at "+ds.Status.IngestEndpoint))
}

func ingestReplicas(in *v1alpha1.IngestSpec) int32 {
	if in.Replicas != nil {
		return *in.Replicas
	}
	return 1
}

// removeIngest deletes the ingestion Deployment and Service left from a
// spec.ingest since removed (owner references only clean up when the
// DataSource itself goes). Objects of that name it does not own are left alone.
func (r *DataSourceReconciler) removeIngest(ctx context.Context, ds *v1alpha1.DataSource) error {
	ds.Status.IngestEndpoint = ""
	name := ingestName(ds)
	for _, obj := range []client.Object{&appsv1.Deployment{}, &corev1.Service{}} {
		err := r.Get(ctx, client.ObjectKey{Namespace: ds.Namespace, Name: name}, obj)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		if !metav1.IsControlledBy(obj, ds) {
			continue
		}
		if err := r.Delete(ctx, obj); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("delete %s: %w", name, err)
		}
	}
	return nil
}
