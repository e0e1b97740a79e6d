package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/conditions"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/specmap"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// PlaybookReconciler validates a journey, runs its campaign worker as a
// Deployment (scaled to zero while suspended) and folds the worker's figures
// into status.
type PlaybookReconciler struct {
	Base
}

// +kubebuilder:rbac:groups=retention.dev,resources=playbooks,verbs=get;list;watch
// +kubebuilder:rbac:groups=retention.dev,resources=playbooks/status,verbs=get;update;patch

func (r *PlaybookReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	pb := &v1alpha1.Playbook{}
	return r.reconcileStatus(ctx, req, pb, func() (conditions.Outcome, error) {
		refs, err := r.resolveReferences(ctx, pb)
		if err != nil {
			return conditions.Outcome{}, err
		}
		cfg, err := r.validateJourney(pb, refs)
		if err != nil {
			// suspend must always stop a running campaign, even one whose
			// new spec no longer validates.
			return conditions.Outcome{}, errors.Join(err, r.suspendInvalid(ctx, pb))
		}
		if err := r.reconcileWorker(ctx, pb, cfg, refs); err != nil {
			return conditions.Outcome{}, err
		}
		if err := r.foldReport(ctx, pb); err != nil {
			return conditions.Outcome{}, err
		}
		return r.reconcileAvailability(ctx, pb)
	})
}

// playbookRefs is everything a Playbook points at, resolved and Ready.
type playbookRefs struct {
	segment    *v1alpha1.Segment
	dataSource *v1alpha1.DataSource
	channels   map[string]*v1alpha1.Channel
	programs   map[string]*v1alpha1.LoyaltyProgram
}

// resolveReferences fetches the Segment (and its DataSource), every Channel
// a send step names, and every LoyaltyProgram it awards points in or watches
// tiers of. Each must exist and be Ready.
func (r *PlaybookReconciler) resolveReferences(ctx context.Context, pb *v1alpha1.Playbook) (*playbookRefs, error) {
	ns := pb.Namespace
	refs := &playbookRefs{
		segment: &v1alpha1.Segment{}, dataSource: &v1alpha1.DataSource{},
		channels: map[string]*v1alpha1.Channel{}, programs: map[string]*v1alpha1.LoyaltyProgram{},
	}
	if err := getReady(ctx, r.Client, ns, pb.Spec.SegmentRef.Name, "segment", "Segment", refs.segment); err != nil {
		return nil, err
	}
	if err := getReady(ctx, r.Client, ns, refs.segment.Spec.DataSourceRef.Name, "datasource", "DataSource", refs.dataSource); err != nil {
		return nil, err
	}
	for _, name := range channelRefs(&pb.Spec) {
		ch := &v1alpha1.Channel{}
		if err := getReady(ctx, r.Client, ns, name, "channel", "Channel", ch); err != nil {
			return nil, err
		}
		refs.channels[name] = ch
	}
	for _, name := range programRefs(&pb.Spec) {
		lp := &v1alpha1.LoyaltyProgram{}
		if err := getReady(ctx, r.Client, ns, name, "loyaltyprogram", "LoyaltyProgram", lp); err != nil {
			return nil, err
		}
		// Awarding points and reading tier changes or expiring points are admin
		// routes: the program must have an admin token of its own.
		if lp.Spec.AdminTokenSecretRef == nil {
			return nil, &specError{"AdminTokenRequired", fmt.Sprintf(
				"loyaltyprogram %q has no spec.adminTokenSecretRef; this playbook awards points in it or reads its tier changes or expiring points, which needs the program's admin token: add one to the LoyaltyProgram", name)}
		}
		refs.programs[name] = lp
	}
	return refs, nil
}

// validateJourney compiles the journey with the engine the worker runs:
// CEL branches, exits and goals, templates (an unknown field is an error, not
// an empty string), waits and quiet hours. Nothing runs until it passes.
func (r *PlaybookReconciler) validateJourney(pb *v1alpha1.Playbook, refs *playbookRefs) (journey.Config, error) {
	cfg, err := specmap.Playbook(pb.Namespace, pb.Name, &pb.Spec)
	if err != nil {
		return cfg, &specError{"InvalidSpec", err.Error()}
	}
	kinds := map[string]journey.ChannelKind{}
	for name, ch := range refs.channels {
		kinds[name] = specmap.ChannelKind(&ch.Spec)
	}
	if _, err := journey.Compile(cfg, kinds); err != nil {
		return cfg, &specError{"InvalidJourney", err.Error()}
	}
	return cfg, nil
}

// suspendInvalid scales the campaign worker of a suspended Playbook to zero
// when its spec cannot be applied (it failed validation): the running
// Deployment still carries the last valid spec and would keep sending.
func (r *PlaybookReconciler) suspendInvalid(ctx context.Context, pb *v1alpha1.Playbook) error {
	if !pb.Spec.Suspend {
		return nil
	}
	dep := &appsv1.Deployment{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: pb.Namespace, Name: pb.Name + "-campaign"}, dep); err != nil {
		return client.IgnoreNotFound(err)
	}
	if dep.Spec.Replicas != nil && *dep.Spec.Replicas == 0 {
		return nil
	}
	patch := client.MergeFrom(dep.DeepCopy())
	dep.Spec.Replicas = ptr.To(int32(0))
	// No longer what was applied: the next valid spec is applied in full,
	// even one identical to the last (apply compares this digest).
	delete(dep.Annotations, workload.AppliedHashAnnotation)
	if err := r.Patch(ctx, dep, patch, client.FieldOwner(FieldOwner)); err != nil {
		return fmt.Errorf("scale invalid suspended playbook to zero: %w", err)
	}
	pb.Status.Replicas, pb.Status.Suspended = 0, true
	return nil
}

// reconcileWorker applies the campaign worker: spec, identity, and a
// Deployment with zero replicas while suspended.
func (r *PlaybookReconciler) reconcileWorker(ctx context.Context, pb *v1alpha1.Playbook, cfg journey.Config, refs *playbookRefs) error {
	state, err := r.resolveStateStore(ctx, pb.Namespace, refs.dataSource.Name, &refs.dataSource.Spec)
	if err != nil {
		return err
	}
	owner := ownerOf(pb, "Playbook")
	in := specmap.PlaybookInputs{Segment: refs.segment, DataSource: refs.dataSource, Channels: refs.channels}
	for name, lp := range refs.programs {
		if in.LoyaltyPrograms == nil {
			in.LoyaltyPrograms = map[string]contract.LoyaltyEndpoint{}
		}
		in.LoyaltyPrograms[name] = contract.LoyaltyEndpoint{URL: lp.Status.Endpoint, TokenKey: lp.Spec.AdminTokenSecretRef.Key}
	}
	spec, err := specmap.PlaybookWorker(pb, cfg, in)
	hash, err := r.reconcileWorkerSpec(ctx, owner, workload.ComponentCampaign, spec, err)
	if err != nil {
		return err
	}
	pod := r.workerPod(owner, workload.ComponentCampaign, "campaign", hash, &refs.dataSource.Spec, state)
	pod.Secrets = campaignSecrets(refs)
	if w := pb.Spec.Workers; w != nil {
		pod.Resources = &w.Resources
	}
	replicas := playbookReplicas(pb)
	if err := r.apply(ctx, workload.Deployment(owner, workload.ComponentCampaign, pb.Name+"-campaign", replicas, pod)); err != nil {
		return fmt.Errorf("apply deployment: %w", err)
	}
	pb.Status.Replicas = replicas
	pb.Status.Suspended = pb.Spec.Suspend
	return nil
}

// campaignSecrets mounts each channel's credentials and each program's API
// token where the worker looks for them.
func campaignSecrets(refs *playbookRefs) []workload.SecretMount {
	var mounts []workload.SecretMount
	for _, name := range slices.Sorted(maps.Keys(refs.channels)) {
		ch := refs.channels[name]
		dir := contract.ChannelSecretsDir + "/" + name
		switch {
		case ch.Spec.Webhook != nil:
			mounts = append(mounts, workload.SecretMount{Secret: ch.Spec.Webhook.SigningSecretRef.Name, Dir: dir})
		case ch.Spec.SMTP != nil && ch.Spec.SMTP.CredentialsSecretRef != nil:
			mounts = append(mounts, workload.SecretMount{Secret: ch.Spec.SMTP.CredentialsSecretRef.Name, Dir: dir})
		}
		if p := ch.Spec.Preferences; p != nil {
			// The campaign worker signs each message's unsubscribe links.
			mounts = append(mounts, workload.SecretMount{Secret: p.SigningKeyRef.Name, Dir: contract.PreferencesSecretsDir + "/" + name})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(refs.programs)) {
		lp := refs.programs[name]
		mounts = append(mounts, workload.SecretMount{Secret: lp.Spec.AdminTokenSecretRef.Name, Dir: contract.LoyaltyTokensDir + "/" + name})
	}
	return mounts
}

func playbookReplicas(pb *v1alpha1.Playbook) int32 {
	if pb.Spec.Suspend {
		return 0
	}
	if w := pb.Spec.Workers; w != nil && w.Replicas != nil {
		return *w.Replicas
	}
	return 1
}

// reconcileAvailability: suspended playbooks are Ready (nothing should run);
// others once the worker Deployment is available.
func (r *PlaybookReconciler) reconcileAvailability(ctx context.Context, pb *v1alpha1.Playbook) (conditions.Outcome, error) {
	if pb.Spec.Suspend {
		return ready("Suspended", "suspended: campaign worker scaled to 0"), nil
	}
	msg := "campaign worker running"
	if pb.Spec.DryRun {
		msg += " (dry run: nothing is sent)"
	}
	return r.deploymentOutcome(ctx, pb.Namespace, pb.Name+"-campaign", playbookReplicas(pb),
		ready("Running", msg))
}

// foldReport copies the worker's figures into status.
func (r *PlaybookReconciler) foldReport(ctx context.Context, pb *v1alpha1.Playbook) error {
	// Each replica writes its own section; MergePlaybook picks the newest
	// (every section holds the whole playbook's totals from the shared store),
	// so replicas never overwrite each other's figures.
	data, err := r.readReport(ctx, ownerOf(pb, "Playbook"), workload.ComponentCampaign)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	rep, ok, err := report.MergePlaybook(data)
	if err != nil {
		return &specError{"InvalidReport", fmt.Sprintf("report ConfigMap of %q: %v", pb.Name+"-campaign", err)}
	}
	if !ok {
		return nil
	}
	st := &pb.Status
	r.recordFailureSpike(pb, st.Sent, st.Failed, rep.Sent, rep.Failed)
	st.Enrolled, st.Active, st.Completed, st.Exited = rep.Enrolled, rep.Active, rep.Completed, rep.Exited
	st.Messages, st.Sent, st.Failed, st.Suppressed = rep.Messages, rep.Sent, rep.Failed, rep.Suppressed
	st.Pending, st.DryRunMessages = rep.Pending, rep.DryRunMessages
	st.Deferred, st.ConditionErrors = rep.Deferred, rep.ConditionErrors
	st.Conversions = &v1alpha1.Conversions{
		Treatment: rep.Treatment.Converted, TreatmentEnrolled: rep.Treatment.Enrolled,
		Holdout: rep.Holdout.Converted, HoldoutEnrolled: rep.Holdout.Enrolled,
	}
	st.Lift, st.LiftInterval = "", ""
	if rep.Lift != nil {
		st.Lift = strconv.FormatFloat(*rep.Lift, 'f', 2, 64) + "pp"
		if rep.LiftLow != nil && rep.LiftHigh != nil {
			st.LiftInterval = fmt.Sprintf("[%.2f, %.2f]", *rep.LiftLow, *rep.LiftHigh)
		}
	}
	r.foldVariants(pb, &rep)
	st.Broadcast = nil
	if b := rep.Broadcast; b != nil {
		st.Broadcast = &v1alpha1.BroadcastStatus{State: b.State}
		if b.StartedAt != nil {
			st.Broadcast.StartedAt = metaTime(*b.StartedAt)
		}
	}
	st.LastReportTime = metaTime(rep.ReportTime)
	campaignSent.Set(float64(rep.Sent), pb.Namespace, pb.Name)
	for reason, n := range rep.Suppressed {
		campaignSuppressed.Set(float64(n), pb.Namespace, pb.Name, reason)
	}
	if rep.Lift != nil {
		campaignLift.WithLabelValues(pb.Namespace, pb.Name).Set(*rep.Lift)
	}
	return nil
}

// failureSpike is the share of failed messages, among those attempted since
// the last report, above which a Warning event is raised (with at least
// failureSpikeMin failures, so one bounce in three sends is not a spike).
const (
	failureSpike    = 0.10
	failureSpikeMin = 10
)

// recordFailureSpike raises a Warning event when permanent failures jumped
// since the previous report: a bad template, a rejected sender, a dead endpoint.
func (r *PlaybookReconciler) recordFailureSpike(pb *v1alpha1.Playbook, sentBefore, failedBefore, sent, failed int64) {
	newFailed, newSent := failed-failedBefore, sent-sentBefore
	if r.Recorder == nil || newFailed < failureSpikeMin || float64(newFailed) < failureSpike*float64(newFailed+newSent) {
		return
	}
	r.Recorder.Eventf(pb, nil, corev1.EventTypeWarning, "FailureSpike", "Send",
		"%d of %d messages failed permanently since the last report", newFailed, newFailed+newSent)
}

// channelRefs lists the Channels a Playbook's send steps name, sorted and unique.
func channelRefs(spec *v1alpha1.PlaybookSpec) []string {
	set := map[string]bool{}
	for _, s := range spec.Steps {
		if s.Send != nil {
			set[s.Send.ChannelRef.Name] = true
			for _, v := range s.Send.Variants {
				if v.ChannelRef != nil {
					set[v.ChannelRef.Name] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// programRefs lists the LoyaltyPrograms a Playbook awards points in, or whose
// tier changes or expiring points trigger it.
func programRefs(spec *v1alpha1.PlaybookSpec) []string {
	set := map[string]bool{}
	for _, s := range spec.Steps {
		if s.AwardPoints != nil {
			set[s.AwardPoints.ProgramRef.Name] = true
		}
	}
	if t := spec.Trigger.TierChange; t != nil {
		set[t.ProgramRef.Name] = true
	}
	if e := spec.Trigger.Event; e != nil && e.ProgramRef != nil {
		set[e.ProgramRef.Name] = true
	}
	return slices.Sorted(maps.Keys(set))
}
