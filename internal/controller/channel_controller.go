package controller

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/conditions"
)

// ChannelReconciler checks that a Channel's credentials exist. The manager
// never reads their values; the campaign worker gets them as mounted files.
type ChannelReconciler struct {
	Base
}

// SMTP credential keys every SMTP credentials Secret must hold.
const (
	SMTPUsernameKey = "username"
	SMTPPasswordKey = "password"
)

// +kubebuilder:rbac:groups=retention.dev,resources=channels,verbs=get;list;watch
// +kubebuilder:rbac:groups=retention.dev,resources=channels/status,verbs=get;update;patch

func (r *ChannelReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	ch := &v1alpha1.Channel{}
	if err := r.Get(ctx, req.NamespacedName, ch); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	before := ch.DeepCopy()
	outcome := conditions.Outcome{Kind: conditions.Ready, Reason: "Configured", Message: "channel ready to send"}
	defer func() {
		ch.Status.ObservedGeneration = ch.Generation
		if err := r.finish(ctx, ch, before, outcome); err != nil && retErr == nil {
			retErr = err
		}
	}()

	ch.Status.Type = channelType(&ch.Spec)
	if err := r.reconcileCredentials(ctx, ch); err != nil {
		outcome = outcomeOf(err)
		return requeueFor(err)
	}
	return ctrl.Result{}, nil
}

// reconcileCredentials verifies the signing key or SMTP credentials exist.
func (r *ChannelReconciler) reconcileCredentials(ctx context.Context, ch *v1alpha1.Channel) error {
	switch {
	case ch.Spec.Webhook != nil:
		ref := ch.Spec.Webhook.SigningSecretRef
		return r.checkSecretKeys(ctx, ch.Namespace, ref.Name, ref.Key)
	case ch.Spec.SMTP != nil && ch.Spec.SMTP.CredentialsSecretRef != nil:
		return r.checkSecretKeys(ctx, ch.Namespace, ch.Spec.SMTP.CredentialsSecretRef.Name, SMTPUsernameKey, SMTPPasswordKey)
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
