package specmap

import (
	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/journey"
)

// ChannelKind maps a Channel to the engine's kind, which decides the consent a
// send needs and where it goes (see journey.HasConsent): SMTP is email,
// console stands in for email in local runs, a webhook needs the customer's
// consentWebhook attribute.
func ChannelKind(spec *v1alpha1.ChannelSpec) journey.ChannelKind {
	switch {
	case spec.SMTP != nil:
		return journey.KindEmail
	case spec.Webhook != nil:
		return journey.KindWebhook
	}
	return journey.KindConsole
}
