package controller

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/channel/urlpolicy"
	"github.com/retention-dev/retention-operator/internal/conditions"
	"github.com/retention-dev/retention-operator/internal/specmap"
)

// ChannelReconciler checks that a Channel's credentials exist. The manager
// never reads their values; the campaign worker gets them as mounted files.
type ChannelReconciler struct {
	Base
}

// +kubebuilder:rbac:groups=retention.dev,resources=channels,verbs=get;list;watch
// +kubebuilder:rbac:groups=retention.dev,resources=channels/status,verbs=get;update;patch

func (r *ChannelReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ch := &v1alpha1.Channel{}
	return r.reconcileStatus(ctx, req, ch, func() (conditions.Outcome, error) {
		ch.Status.Type = channelType(&ch.Spec)
		if err := validateTarget(ch); err != nil {
			return conditions.Outcome{}, err
		}
		// The sender mapping the campaign worker's spec is rendered with: a
		// spec the CRD schema accepts but no sender could be built from
		// stalls here.
		if _, err := specmap.Channel(&ch.Spec); err != nil {
			return conditions.Outcome{}, &specError{"InvalidSpec", err.Error()}
		}
		if err := r.reconcileCredentials(ctx, ch); err != nil {
			return conditions.Outcome{}, err
		}
		if ch.Spec.Preferences != nil {
			return r.reconcilePreferences(ctx, ch)
		}
		return ready("Configured", "channel ready to send"), nil
	})
}

// validateTarget applies the webhook target policy the sender applies again
// at dial time, so a Channel aimed at cloud metadata or link-local addresses
// is refused here, before any pod holds its signing key.
func validateTarget(ch *v1alpha1.Channel) error {
	if w := ch.Spec.Webhook; w != nil {
		if err := urlpolicy.Validate(w.URL, w.AllowLoopback); err != nil {
			return &specError{"InvalidURL", "spec.webhook.url: " + err.Error()}
		}
	}
	return nil
}

// reconcileCredentials verifies the signing key or SMTP credentials exist.
func (r *ChannelReconciler) reconcileCredentials(ctx context.Context, ch *v1alpha1.Channel) error {
	switch {
	case ch.Spec.Webhook != nil:
		ref := ch.Spec.Webhook.SigningSecretRef
		return r.checkSecretKeys(ctx, ch.Namespace, ref.Name, ref.Key)
	case ch.Spec.SMTP != nil && ch.Spec.SMTP.CredentialsSecretRef != nil:
		return r.checkSecretKeys(ctx, ch.Namespace, ch.Spec.SMTP.CredentialsSecretRef.Name, v1alpha1.SMTPUsernameKey, v1alpha1.SMTPPasswordKey)
	}
	return nil
}

func channelType(spec *v1alpha1.ChannelSpec) string {
	switch {
	case spec.Webhook != nil:
		return "Webhook"
	case spec.SMTP != nil:
		return "SMTP"
	case spec.Console != nil:
		return "Console"
	}
	return ""
}
