package channel

import "github.com/retention-dev/retention-operator/internal/channel/senderconfig"

// The sender configuration is plain data in senderconfig (the manager renders
// it without linking this package's mail library); these names keep the
// package's own API whole.
type (
	Config        = senderconfig.Config
	Type          = senderconfig.Type
	RateLimit     = senderconfig.RateLimit
	WebhookConfig = senderconfig.WebhookConfig
	SMTPConfig    = senderconfig.SMTPConfig
	TLSMode       = senderconfig.TLSMode
	RetryPolicy   = senderconfig.RetryPolicy
)

const (
	TypeWebhook = senderconfig.TypeWebhook
	TypeSMTP    = senderconfig.TypeSMTP
	TypeConsole = senderconfig.TypeConsole

	TLSNone     = senderconfig.TLSNone
	TLSStartTLS = senderconfig.TLSStartTLS
	TLSImplicit = senderconfig.TLSImplicit
)

// DefaultRetryPolicy is senderconfig.DefaultRetryPolicy.
var DefaultRetryPolicy = senderconfig.DefaultRetryPolicy
