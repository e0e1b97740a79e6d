package controller

import (
	"context"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/conditions"
	"github.com/retention-dev/retention-operator/internal/cronspec"
	"github.com/retention-dev/retention-operator/internal/metrics"
	"github.com/retention-dev/retention-operator/internal/redact"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/specmap"
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
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=serviceaccounts,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles;rolebindings,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get

func (r *SegmentReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	seg := &v1alpha1.Segment{}
	return r.reconcileStatus(ctx, req, seg, func() (conditions.Outcome, error) {
		cfg, err := r.validateSpec(ctx, seg)
		if err != nil {
			return conditions.Outcome{}, err
		}
		hash, err := r.reconcileMetricJob(ctx, seg, cfg)
		if err != nil {
			return conditions.Outcome{}, err
		}
		return r.foldReport(ctx, seg, hash)
	})
}

// validateSpec maps the Segment as the metric job will run it
// (specmap.Segment: the criteria within the CEL cost limit, the window, the
// metrics) and parses the schedule before any job exists, so a typo is
// reported here and not in a pod log.
func (r *SegmentReconciler) validateSpec(_ context.Context, seg *v1alpha1.Segment) (metrics.SegmentConfig, error) {
	cfg, err := specmap.Segment(&seg.Spec)
	if err != nil && strings.HasPrefix(err.Error(), "spec.criteria") {
		return cfg, &specError{"InvalidCriteria", err.Error()}
	}
	if err := checkSchedule("spec.schedule", string(seg.Spec.Schedule)); err != nil {
		return cfg, err
	}
	switch {
	case err == nil:
		return cfg, nil
	case strings.HasPrefix(err.Error(), "spec.window"):
		return cfg, &specError{"InvalidWindow", err.Error()}
	}
	return cfg, &specError{"InvalidSpec", err.Error()}
}

// reconcileMetricJob resolves the DataSource and the state store and applies
// the worker's ConfigMaps, identity and CronJob, plus a one-off Job for a spec
// that has not run yet. It returns the spec's hash.
func (r *SegmentReconciler) reconcileMetricJob(ctx context.Context, seg *v1alpha1.Segment, cfg metrics.SegmentConfig) (string, error) {
	ds := &v1alpha1.DataSource{}
	if err := getReady(ctx, r.Client, seg.Namespace, seg.Spec.DataSourceRef.Name, "datasource", "DataSource", ds); err != nil {
		return "", err
	}
	state, err := r.resolveStateStore(ctx, seg.Namespace, ds.Name, &ds.Spec)
	if err != nil {
		return "", err
	}
	owner := ownerOf(seg, "Segment")
	var lp *v1alpha1.LoyaltyProgram
	if ref := seg.Spec.LoyaltyProgramRef; ref != nil {
		lp = &v1alpha1.LoyaltyProgram{}
		if err := getReady(ctx, r.Client, seg.Namespace, ref.Name, "loyaltyprogram", "LoyaltyProgram", lp); err != nil {
			return "", err
		}
	}
	spec, err := specmap.SegmentWorker(seg, cfg, ds, lp)
	hash, err := r.reconcileWorkerSpec(ctx, owner, workload.ComponentMetrics, spec, err)
	if err != nil {
		return "", err
	}
	pod := r.workerPod(owner, workload.ComponentMetrics, "metrics", hash, &ds.Spec, state)
	if n := seg.Spec.ShardCount(); n > 1 {
		// An Indexed Job of n pods, each computing one hash partition of
		// the customers (docs/metrics-sharding.md).
		pod.Shards = int32(n)
		pod.Env = append(pod.Env, workload.ShardRunEnv())
	}
	job := workload.CronJob(owner, workload.ComponentMetrics, seg.Name+"-metrics", string(seg.Spec.Schedule), seg.Spec.Suspend, pod)
	if err := r.apply(ctx, job); err != nil {
		return "", fmt.Errorf("apply cronjob: %w", err)
	}
	if err := r.reconcileFirstRun(ctx, seg, owner, hash, pod); err != nil {
		return "", err
	}
	return hash, nil
}

// reconcileFirstRun starts the metric job now for a spec that has never run
// (a new Segment, a changed criteria or data source), so figures arrive within
// a minute rather than at the next scheduled time, which may be a week away.
// The Job's name carries the spec hash: applying it again is a no-op, and a
// spec runs once this way however often it is reconciled.
func (r *SegmentReconciler) reconcileFirstRun(ctx context.Context, seg *v1alpha1.Segment, owner workload.Owner, hash string, pod workload.Pod) error {
	if seg.Spec.Suspend || seg.Status.RunSpecHash == hash {
		return nil
	}
	if err := r.apply(ctx, workload.Job(owner, workload.ComponentMetrics, firstRunJobName(seg.Name, hash), pod)); err != nil {
		return fmt.Errorf("apply first-run job: %w", err)
	}
	seg.Status.RunSpecHash = hash
	return nil
}

// firstRunJobName is "<segment>-metrics-<first 8 of the spec hash>".
func firstRunJobName(segment, hash string) string {
	return segment + "-metrics-" + hash[:8]
}

// foldReport copies the metric job's latest summary into status and decides
// the outcome: Ready once figures exist; a failed run keeps the previous
// figures and stalls the Segment with the job's own error (which names the
// row or setting at fault). A report that cannot be read stalls it too, the
// same policy as every kind.
func (r *SegmentReconciler) foldReport(ctx context.Context, seg *v1alpha1.Segment, hash string) (conditions.Outcome, error) {
	waiting := conditions.Outcome{Kind: conditions.Progressing, Reason: "FirstRun",
		Message: fmt.Sprintf("waiting for the first metric run (job %q)", firstRunJobName(seg.Name, hash))}
	if seg.Spec.Suspend {
		waiting = ready("Suspended", "metric job suspended")
	}
	rep, ok, err := decodeReport[report.Segment](ctx, &r.Base, ownerOf(seg, "Segment"), workload.ComponentMetrics)
	if err != nil {
		return conditions.Outcome{}, err
	}
	if !ok {
		return waiting, nil
	}
	// The worker writes its own report; its text is redacted again before it
	// reaches status and events.
	rep.Error = redact.Message(rep.Error)
	st := &seg.Status
	st.DataIssues, st.MetricNotes = rep.DataIssues, rep.MetricNotes
	st.LastRunTime = metaTime(rep.RunTime)
	if rep.LastSuccess != nil {
		st.LastSuccessfulRunTime = metaTime(*rep.LastSuccess)
	}
	// Reachable says whether the data source answered; a run that reached it
	// and then failed on a row is reachable, and its error belongs to
	// LastRunSucceeded, not here.
	if rep.DataSourceReachable {
		conditions.Set(seg, ConditionDataSourceReachable, metav1.ConditionTrue, "Reachable", "data source answered")
	} else {
		conditions.Set(seg, ConditionDataSourceReachable, metav1.ConditionFalse, "Unreachable", firstNonEmpty(rep.Error, "data source did not answer"))
	}
	if !rep.Succeeded {
		conditions.Set(seg, ConditionLastRunSucceeded, metav1.ConditionFalse, "RunFailed", rep.Error)
		return conditions.Outcome{Kind: conditions.Stalled, Reason: "MetricJobFailed", Message: "last metric run failed (previous figures kept): " + rep.Error}, nil
	}
	conditions.Set(seg, ConditionLastRunSucceeded, metav1.ConditionTrue, "RunSucceeded", fmt.Sprintf("%d members", rep.Size))
	size := rep.Size
	st.Size, st.Entered, st.Exited, st.Metrics = &size, rep.Entered, rep.Exited, report.Decimals(rep.Metrics)
	segmentSize.WithLabelValues(seg.Namespace, seg.Name).Set(float64(size))
	for name, value := range rep.Metrics {
		segmentMetric.WithLabelValues(seg.Namespace, seg.Name, name).Set(float64(value))
	}
	if seg.Spec.Suspend {
		return waiting, nil
	}
	return ready("Measured", fmt.Sprintf("%d members at last run", rep.Size)), nil
}

// checkSchedule refuses a schedule that does not parse or can never fire.
func checkSchedule(field, schedule string) error {
	if err := cronspec.Check(schedule); err != nil {
		return &specError{"InvalidSchedule", field + ": " + err.Error()}
	}
	return nil
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
