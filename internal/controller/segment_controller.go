package controller

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/conditions"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/segment"
	"github.com/retention-dev/retention-operator/internal/workerconfig"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// Segment condition types besides Ready/Reconciling/Stalled.
const (
	ConditionDataSourceReachable = "DataSourceReachable"
	ConditionLastRunSucceeded    = "LastRunSucceeded"
)

// SegmentReconciler validates a Segment's criteria and schedule, runs its
// metric job as a CronJob, and folds the job's report into status.
type SegmentReconciler struct {
	Base
}

// +kubebuilder:rbac:groups=retention.dev,resources=segments,verbs=get;list;watch
// +kubebuilder:rbac:groups=retention.dev,resources=segments/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=batch,resources=cronjobs,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=serviceaccounts,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles;rolebindings,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

func (r *SegmentReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	seg := &v1alpha1.Segment{}
	return r.reconcileStatus(ctx, req, seg, func() (conditions.Outcome, error) {
		if err := r.validateSpec(ctx, seg); err != nil {
			return conditions.Outcome{}, err
		}
		if err := r.reconcileMetricJob(ctx, seg); err != nil {
			return conditions.Outcome{}, err
		}
		return r.foldReport(ctx, seg), nil
	})
}

// validateSpec compiles the criteria and parses the schedule and window
// before any job exists, so a typo is reported here and not in a pod log.
func (r *SegmentReconciler) validateSpec(_ context.Context, seg *v1alpha1.Segment) error {
	if _, err := segment.Compile(seg.Spec.Criteria); err != nil {
		return &specError{"InvalidCriteria", fmt.Sprintf("spec.criteria: %v", err)}
	}
	if _, err := cron.ParseStandard(string(seg.Spec.Schedule)); err != nil {
		return &specError{"InvalidSchedule", fmt.Sprintf("spec.schedule %q: %v", seg.Spec.Schedule, err)}
	}
	if _, err := seg.Spec.Window.Parse(); err != nil {
		return &specError{"InvalidWindow", fmt.Sprintf("spec.window: %v", err)}
	}
	return nil
}

// reconcileMetricJob resolves the DataSource and applies the worker's
// ConfigMaps, identity and CronJob.
func (r *SegmentReconciler) reconcileMetricJob(ctx context.Context, seg *v1alpha1.Segment) error {
	ds := &v1alpha1.DataSource{}
	if err := getReady(ctx, r.Client, seg.Namespace, seg.Spec.DataSourceRef.Name, "datasource", "DataSource", ds); err != nil {
		return err
	}
	owner := ownerOf(seg, "Segment")
	spec := workerconfig.Segment{Namespace: seg.Namespace, Name: seg.Name, Spec: seg.Spec, DataSource: ds.Spec}
	if ref := seg.Spec.LoyaltyProgramRef; ref != nil {
		lp := &v1alpha1.LoyaltyProgram{}
		if err := getReady(ctx, r.Client, seg.Namespace, ref.Name, "loyaltyprogram", "LoyaltyProgram", lp); err != nil {
			return err
		}
		spec.LoyaltyProgram = &lp.Spec
	}
	hash, err := r.reconcileWorkerBase(ctx, owner, workload.ComponentMetrics, spec)
	if err != nil {
		return err
	}
	pod := r.workerPod(owner, workload.ComponentMetrics, "metrics", hash, &ds.Spec)
	job := workload.CronJob(owner, workload.ComponentMetrics, seg.Name+"-metrics", string(seg.Spec.Schedule), seg.Spec.Suspend, pod)
	if err := r.apply(ctx, job); err != nil {
		return fmt.Errorf("apply cronjob: %w", err)
	}
	return nil
}

// foldReport copies the metric job's latest summary into status and decides
// the outcome: a failed run keeps the previous figures and stalls the Segment
// with the job's own error (which names the row or setting at fault).
func (r *SegmentReconciler) foldReport(ctx context.Context, seg *v1alpha1.Segment) conditions.Outcome {
	waiting := ready("Scheduled", "metric job scheduled; waiting for its first run")
	if seg.Spec.Suspend {
		waiting = ready("Suspended", "metric job suspended")
	}
	data, err := r.readReport(ctx, ownerOf(seg, "Segment"), workload.ComponentMetrics)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return waiting
		}
		return outcomeOf(err)
	}
	var rep report.Segment
	ok, err := report.Decode(data, &rep)
	if err != nil {
		return conditions.Outcome{Kind: conditions.Stalled, Reason: "InvalidReport", Message: err.Error()}
	}
	if !ok {
		return waiting
	}
	st := &seg.Status
	st.LastRunTime = metaTime(rep.RunTime)
	if rep.LastSuccess != nil {
		st.LastSuccessfulRunTime = metaTime(*rep.LastSuccess)
	}
	reachable, reachReason := metav1.ConditionTrue, "Reachable"
	if !rep.DataSourceReachable {
		reachable, reachReason = metav1.ConditionFalse, "Unreachable"
	}
	conditions.Set(seg, ConditionDataSourceReachable, reachable, reachReason, firstNonEmpty(rep.Error, "data source answered"))
	if !rep.Succeeded {
		conditions.Set(seg, ConditionLastRunSucceeded, metav1.ConditionFalse, "RunFailed", rep.Error)
		return conditions.Outcome{Kind: conditions.Stalled, Reason: "MetricJobFailed", Message: "last metric run failed (previous figures kept): " + rep.Error}
	}
	conditions.Set(seg, ConditionLastRunSucceeded, metav1.ConditionTrue, "RunSucceeded", fmt.Sprintf("%d members", rep.Size))
	size := rep.Size
	st.Size, st.Entered, st.Exited, st.Metrics = &size, rep.Entered, rep.Exited, rep.Metrics
	segmentSize.WithLabelValues(seg.Namespace, seg.Name).Set(float64(size))
	for name, value := range rep.Metrics {
		setFromDecimal(segmentMetric.WithLabelValues(seg.Namespace, seg.Name, name), value)
	}
	if seg.Spec.Suspend {
		return waiting
	}
	return ready("Measured", fmt.Sprintf("%d members at last run", rep.Size))
}

// metaTime converts a report time, truncated to seconds as the API stores it
// (so an unchanged report does not make the status differ).
func metaTime(t time.Time) *metav1.Time {
	if t.IsZero() {
		return nil
	}
	mt := metav1.NewTime(t.Truncate(time.Second))
	return &mt
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
