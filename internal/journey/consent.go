package journey

import (
	"fmt"
	"strings"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// ChannelKind is what a Channel delivers to; it decides the consent needed.
type ChannelKind string

const (
	KindEmail   ChannelKind = "email"
	KindSMS     ChannelKind = "sms"
	KindWebhook ChannelKind = "webhook"
	KindConsole ChannelKind = "console"
)

// ConsentWebhookAttribute is the customer attribute that grants consent for
// webhook messages (push, in-app, CRM tasks): the attribute must read "true".
const ConsentWebhookAttribute = "consentWebhook"

// HasConsent is checked at send time, on the freshest feature row:
//   - email needs ConsentEmail
//   - sms needs ConsentSMS
//   - webhook needs Attributes["consentWebhook"] == "true"
//   - console (a log for development) needs ConsentEmail, so a playbook
//     tried on the console reaches the same people as its email twin.
//
// Unknown kinds never have consent.
func HasConsent(kind ChannelKind, f *customer.Features) bool {
	switch kind {
	case KindEmail, KindConsole:
		return f.ConsentEmail
	case KindSMS:
		return f.ConsentSMS
	case KindWebhook:
		return strings.EqualFold(f.Attributes[ConsentWebhookAttribute], "true")
	}
	return false
}

// Recipient is the address a message to kind goes to: the e-mail address, the
// "phone" attribute for sms, the customer id for webhook and console.
func Recipient(kind ChannelKind, f *customer.Features) (string, error) {
	switch kind {
	case KindEmail:
		if f.Email == "" {
			return "", fmt.Errorf("no e-mail address")
		}
		return f.Email, nil
	case KindSMS:
		if p := f.Attributes["phone"]; p != "" {
			return p, nil
		}
		return "", fmt.Errorf("no phone attribute")
	}
	return f.ID, nil
}
