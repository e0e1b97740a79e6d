package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/conditions"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/specmap"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// PreferencesPort is the port of a Channel's <name>-preferences Service.
const PreferencesPort = 8080

// +kubebuilder:rbac:groups=retention.dev,resources=datasources,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;create;update;patch;delete

// reconcilePreferences runs the page server of a Channel with
// spec.preferences: the Deployment and Service <name>-preferences, with the
// signing key mounted and the state store the campaign workers share. The
// Channel is Ready once the server is available.
func (r *ChannelReconciler) reconcilePreferences(ctx context.Context, ch *v1alpha1.Channel) (conditions.Outcome, error) {
	p := ch.Spec.Preferences
	// The worker's own mapping, so a URL or mailto it would refuse stalls here.
	prefs, err := specmap.Preferences(&ch.Spec)
	if err != nil {
		return conditions.Outcome{}, &specError{"InvalidPreferences", err.Error()}
	}
	if err := r.checkSecretKeys(ctx, ch.Namespace, p.SigningKeyRef.Name, p.SigningKeyRef.Key); err != nil {
		return conditions.Outcome{}, err
	}
	if f := p.Feedback; f != nil {
		// Which keys each provider needs is the worker's to say (it names
		// the missing one in its log); the Secret must exist to be mounted.
		if err := r.checkSecretKeys(ctx, ch.Namespace, f.SecretRef.Name); err != nil {
			return conditions.Outcome{}, err
		}
	}
	state, err := r.preferencesStateStore(ctx, ch)
	if err != nil {
		return conditions.Outcome{}, err
	}
	owner := ownerOf(ch, "Channel")
	spec := contract.Preferences{Namespace: ch.Namespace, Name: ch.Name, Preferences: *prefs}
	hash, err := r.reconcileWorkerBase(ctx, owner, workload.ComponentPreferences, spec)
	if err != nil {
		return conditions.Outcome{}, err
	}
	name := ch.Name + "-preferences"
	pod := r.workerPod(owner, workload.ComponentPreferences, "preferences", hash, nil, nil)
	pod.Env = append(pod.Env, state...)
	pod.Secrets = []workload.SecretMount{{Secret: p.SigningKeyRef.Name, Dir: contract.PreferencesSecretsDir + "/" + ch.Name}}
	if f := p.Feedback; f != nil {
		pod.Secrets = append(pod.Secrets, workload.SecretMount{Secret: f.SecretRef.Name, Dir: contract.FeedbackSecretsDir + "/" + ch.Name})
	}
	pod.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: PreferencesPort}}
	pod.Probe = "/healthz"
	if err := r.apply(ctx, workload.Deployment(owner, workload.ComponentPreferences, name, 1, pod)); err != nil {
		return conditions.Outcome{}, fmt.Errorf("apply deployment: %w", err)
	}
	if err := r.apply(ctx, workload.Service(owner, workload.ComponentPreferences, name, PreferencesPort, "http")); err != nil {
		return conditions.Outcome{}, fmt.Errorf("apply service: %w", err)
	}
	return r.deploymentOutcome(ctx, ch.Namespace, name, 1, ready("Configured",
		fmt.Sprintf("channel ready to send; preference page served by Service %s (port %d) for %s", name, PreferencesPort, p.PublicURL)))
}

// preferencesStateStore is the store of spec.preferences.dataSourceRef, else
// the operator's shared store (resolveStateStore with no DataSource store).
func (r *ChannelReconciler) preferencesStateStore(ctx context.Context, ch *v1alpha1.Channel) ([]corev1.EnvVar, error) {
	ref := ch.Spec.Preferences.DataSourceRef
	if ref == nil {
		return r.resolveStateStore(ctx, ch.Namespace, "", &v1alpha1.DataSourceSpec{})
	}
	ds := &v1alpha1.DataSource{}
	if err := getReady(ctx, r.Client, ch.Namespace, ref.Name, "datasource", "DataSource", ds); err != nil {
		return nil, err
	}
	return r.resolveStateStore(ctx, ch.Namespace, ds.Name, &ds.Spec)
}
