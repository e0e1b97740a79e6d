package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/conditions"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/specmap"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// LoyaltyPort is the loyalty API's Service port.
const LoyaltyPort = 8080

// LoyaltyProgramReconciler runs a program's loyalty API (Deployment and
// Service) and its expiry-and-metrics CronJob, and folds the figures into status.
type LoyaltyProgramReconciler struct {
	Base
}

// +kubebuilder:rbac:groups=retention.dev,resources=loyaltyprograms,verbs=get;list;watch
// +kubebuilder:rbac:groups=retention.dev,resources=loyaltyprograms/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;create;update;patch;delete

func (r *LoyaltyProgramReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	lp := &v1alpha1.LoyaltyProgram{}
	return r.reconcileStatus(ctx, req, lp, func() (conditions.Outcome, error) {
		if err := r.reconcileWorkloads(ctx, lp); err != nil {
			return conditions.Outcome{}, err
		}
		if err := r.foldReport(ctx, lp); err != nil {
			return conditions.Outcome{}, err
		}
		return r.reconcileAvailability(ctx, lp)
	})
}

// reconcileWorkloads checks references and applies the API Deployment and
// Service and the metrics CronJob.
func (r *LoyaltyProgramReconciler) reconcileWorkloads(ctx context.Context, lp *v1alpha1.LoyaltyProgram) error {
	if err := checkSchedule("spec.metricsSchedule", string(lp.Spec.MetricsSchedule)); err != nil {
		return err
	}
	// The engine's own validation, the same the worker and lint run: a spec
	// the CRD schema accepts but the ledger could not run stalls here.
	program, err := specmap.Loyalty(&lp.Spec)
	if err != nil {
		return &specError{"InvalidSpec", err.Error()}
	}
	ds := &v1alpha1.DataSource{}
	if err := getReady(ctx, r.Client, lp.Namespace, lp.Spec.DataSourceRef.Name, "datasource", "DataSource", ds); err != nil {
		return err
	}
	state, err := r.resolveStateStore(ctx, lp.Namespace, ds.Name, &ds.Spec)
	if err != nil {
		return err
	}
	token := lp.Spec.APITokenSecretRef
	if err := r.checkSecretKeys(ctx, lp.Namespace, token.Name, token.Key); err != nil {
		return err
	}
	secrets := []workload.SecretMount{{Secret: token.Name, Dir: contract.APITokenDir}}
	// Admin routes (adjustments, member listings, the change feed) exist only
	// with an admin token of their own: the shop's API token never grants them.
	if admin := lp.Spec.AdminTokenSecretRef; admin != nil {
		if err := r.checkSecretKeys(ctx, lp.Namespace, admin.Name, admin.Key); err != nil {
			return err
		}
		secrets = append(secrets, workload.SecretMount{Secret: admin.Name, Dir: contract.AdminTokenDir})
	}
	owner := ownerOf(lp, "LoyaltyProgram")
	spec, err := specmap.LoyaltyWorker(lp, program, ds)
	hash, err := r.reconcileWorkerSpec(ctx, owner, workload.ComponentLoyalty, spec, err)
	if err != nil {
		return err
	}
	name := lp.Name + "-loyalty"
	api := r.workerPod(owner, workload.ComponentLoyalty, "loyalty", hash, &ds.Spec, state)
	api.Secrets = secrets
	api.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: LoyaltyPort}}
	api.Probe = "/readyz"
	if err := r.apply(ctx, workload.Deployment(owner, workload.ComponentLoyalty, name, loyaltyReplicas(lp), api)); err != nil {
		return fmt.Errorf("apply deployment: %w", err)
	}
	if err := r.apply(ctx, workload.Service(owner, workload.ComponentLoyalty, name, LoyaltyPort, "http")); err != nil {
		return fmt.Errorf("apply service: %w", err)
	}
	// The metrics job shares the program's spec, identity and report.
	job := r.workerPod(owner, workload.ComponentLoyalty, "loyalty-metrics", hash, &ds.Spec, state)
	cj := workload.CronJob(owner, workload.ComponentLoyaltyMetrics, name+"-metrics", string(lp.Spec.MetricsSchedule), false, job)
	if err := r.apply(ctx, cj); err != nil {
		return fmt.Errorf("apply cronjob: %w", err)
	}
	lp.Status.Endpoint = fmt.Sprintf("http://%s.%s.svc:%d", name, lp.Namespace, LoyaltyPort)
	return nil
}

func loyaltyReplicas(lp *v1alpha1.LoyaltyProgram) int32 {
	if lp.Spec.Replicas != nil {
		return *lp.Spec.Replicas
	}
	return 1
}

// reconcileAvailability is Ready once the API Deployment is available.
func (r *LoyaltyProgramReconciler) reconcileAvailability(ctx context.Context, lp *v1alpha1.LoyaltyProgram) (conditions.Outcome, error) {
	return r.deploymentOutcome(ctx, lp.Namespace, lp.Name+"-loyalty", loyaltyReplicas(lp),
		ready("Available", "loyalty API available at "+lp.Status.Endpoint))
}

// foldReport copies the metrics job's figures into status.
func (r *LoyaltyProgramReconciler) foldReport(ctx context.Context, lp *v1alpha1.LoyaltyProgram) error {
	rep, ok, err := decodeReport[report.Loyalty](ctx, &r.Base, ownerOf(lp, "LoyaltyProgram"), workload.ComponentLoyalty)
	if err != nil || !ok {
		return err
	}
	st := &lp.Status
	st.Members, st.MembersPerTier, st.PointsOutstanding = rep.Members, rep.MembersPerTier, rep.PointsOutstanding
	st.Liability, st.RedemptionRate = rep.Liability.String(), rep.RedemptionRate.String()
	st.LastReportTime = metaTime(rep.ReportTime)
	loyaltyLiability.WithLabelValues(lp.Namespace, lp.Name, lp.Spec.Currency).Set(float64(rep.Liability))
	for tier, n := range rep.MembersPerTier {
		loyaltyMembers.WithLabelValues(lp.Namespace, lp.Name, tier).Set(float64(n))
	}
	return nil
}
