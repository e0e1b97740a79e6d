package connect

import (
	"fmt"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/specmap"
)

// Package connect maps the DataSource and Channel specs onto the connector
// and sender configurations workers and the CLI open. It imports the
// database drivers and the mail library, so the manager never imports it.
//
// Channel converts a Channel spec into the sender configuration. Secret
// values are not part of it: the config names the keys, and channel.New
// reads them from the Secret the controller mounted for this channel
// (workload.SecretsDir/channels/<name>).
//
// Retry keeps channel.DefaultRetryPolicy (the CRD has no retry settings).
// A rate limit without burst gets v1alpha1.DefaultBurst(perSecond).
func Channel(spec *v1alpha1.ChannelSpec) (channel.Config, error) {
	var cfg channel.Config
	set := 0
	if w := spec.Webhook; w != nil {
		set++
		timeout, err := specmap.Duration("spec.webhook.timeout", w.Timeout)
		if err != nil {
			return cfg, err
		}
		cfg.Type = channel.TypeWebhook
		cfg.Webhook = channel.WebhookConfig{URL: w.URL, SigningSecretKey: w.SigningSecretRef.Key,
			Headers: w.Headers, Timeout: timeout, AllowLoopback: w.AllowLoopback}
	}
	if s := spec.SMTP; s != nil {
		set++
		cfg.Type = channel.TypeSMTP
		cfg.SMTP = channel.SMTPConfig{Host: s.Host, Port: int(s.Port), From: s.From}
		switch s.TLS {
		case "": // the sender's default, StartTLS
		case "None":
			cfg.SMTP.TLS = channel.TLSNone
		case "StartTLS":
			cfg.SMTP.TLS = channel.TLSStartTLS
		case "TLS":
			cfg.SMTP.TLS = channel.TLSImplicit
		default:
			return cfg, fmt.Errorf("spec.smtp.tls %q is not one of None, StartTLS, TLS", s.TLS)
		}
		if s.CredentialsSecretRef != nil {
			cfg.SMTP.UsernameKey, cfg.SMTP.PasswordKey = v1alpha1.SMTPUsernameKey, v1alpha1.SMTPPasswordKey
		}
	}
	if spec.Console != nil {
		set++
		cfg.Type = channel.TypeConsole
	}
	if set != 1 {
		return channel.Config{}, fmt.Errorf("channel spec sets %d of webhook, smtp, console; set exactly one", set)
	}
	if r := spec.RateLimit; r != nil {
		if r.PerSecond <= 0 {
			return cfg, fmt.Errorf("spec.rateLimit.perSecond must be >= 1")
		}
		burst := r.Burst
		if burst <= 0 {
			burst = v1alpha1.DefaultBurst(r.PerSecond)
		}
		cfg.RateLimit = channel.RateLimit{PerSecond: float64(r.PerSecond), Burst: int(burst)}
	}
	return cfg, nil
}
