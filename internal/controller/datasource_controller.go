package controller

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/conditions"
	"github.com/retention-dev/retention-operator/internal/specmap"
)

// DataSourceReconciler checks that a DataSource's configuration is complete:
// the Secrets and ConfigMaps it names exist with the named keys. With
// spec.ingest it runs the ingestion API (datasource_ingest.go); Segments and
// LoyaltyPrograms wait for it to be Ready.
type DataSourceReconciler struct {
	Base
}

// +kubebuilder:rbac:groups=retention.dev,resources=datasources,verbs=get;list;watch
// +kubebuilder:rbac:groups=retention.dev,resources=datasources/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;create;update;patch;delete

func (r *DataSourceReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ds := &v1alpha1.DataSource{}
	return r.reconcileStatus(ctx, req, ds, func() (conditions.Outcome, error) {
		ds.Status.Type = dataSourceType(&ds.Spec)
		// The connector mapping workers' specs are rendered with: a spec
		// the CRD schema accepts but no worker could open stalls here.
		if _, err := specmap.DataSource(ds.Namespace, ds.Name, &ds.Spec); err != nil {
			return conditions.Outcome{}, &specError{"InvalidSpec", err.Error()}
		}
		if err := r.reconcileReferences(ctx, ds); err != nil {
			return conditions.Outcome{}, err
		}
		if ds.Spec.Ingest != nil {
			return r.reconcileIngest(ctx, ds)
		}
		if err := r.removeIngest(ctx, ds); err != nil {
			return conditions.Outcome{}, err
		}
		return ready("Configured", "configuration complete"), nil
	})
}

// reconcileReferences verifies every Secret and ConfigMap the spec names.
func (r *DataSourceReconciler) reconcileReferences(ctx context.Context, ds *v1alpha1.DataSource) error {
	ns := ds.Namespace
	switch {
	case ds.Spec.Postgres != nil:
		ref := ds.Spec.Postgres.DSNSecretRef
		if err := r.checkSecretKeys(ctx, ns, ref.Name, ref.Key); err != nil {
			return err
		}
	case ds.Spec.File != nil && ds.Spec.File.ConfigMapRef != nil:
		ref := ds.Spec.File.ConfigMapRef
		if err := r.checkConfigMapKeys(ctx, ns, ref.Name, ref.Keys...); err != nil {
			return err
		}
	}
	if s := ds.Spec.StateStore; s != nil {
		if err := r.checkSecretKeys(ctx, ns, s.DSNSecretRef.Name, s.DSNSecretRef.Key); err != nil {
			return err
		}
	}
	return nil
}

func dataSourceType(spec *v1alpha1.DataSourceSpec) string {
	switch {
	case spec.Postgres != nil:
		return "Postgres"
	case spec.SQLite != nil:
		return "SQLite"
	case spec.File != nil:
		return "File"
	}
	return ""
}
