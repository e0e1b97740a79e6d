package specmap

import (
	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
)

// Channel converts a Channel spec into the sender configuration. Secret
// values are not part of it: the config names the keys, and channel.New
// reads them from the Secret the controller mounted for this channel
// (workload.SecretsDir/channels/<name>).
//
// Retry keeps the sender's default policy (the CRD has no retry settings).
// A rate limit without burst gets v1alpha1.DefaultBurst(perSecond).
func Channel(spec *v1alpha1.ChannelSpec) (senderconfig.Config, error) {
	if err := checkChannel(spec); err != nil {
		return senderconfig.Config{}, err
	}
	var cfg senderconfig.Config
	switch {
	case spec.Webhook != nil:
		w := spec.Webhook
		timeout, _ := w.Timeout.Parse() // checkChannel parsed it
		cfg.Type = senderconfig.TypeWebhook
		cfg.Webhook = senderconfig.WebhookConfig{URL: w.URL, SigningSecretKey: w.SigningSecretRef.Key,
			Headers: w.Headers, Timeout: timeout, AllowLoopback: w.AllowLoopback}
	case spec.SMTP != nil:
		s := spec.SMTP
		cfg.Type = senderconfig.TypeSMTP
		// An empty tls is the sender's default, StartTLS.
		cfg.SMTP = senderconfig.SMTPConfig{Host: s.Host, Port: int(s.Port), From: s.From, TLS: smtpTLSModes[s.TLS]}
		if s.CredentialsSecretRef != nil {
			cfg.SMTP.UsernameKey, cfg.SMTP.PasswordKey = v1alpha1.SMTPUsernameKey, v1alpha1.SMTPPasswordKey
		}
	default:
		cfg.Type = senderconfig.TypeConsole
	}
	if r := spec.RateLimit; r != nil {
		burst := r.Burst
		if burst <= 0 {
			burst = v1alpha1.DefaultBurst(r.PerSecond)
		}
		cfg.RateLimit = senderconfig.RateLimit{PerSecond: float64(r.PerSecond), Burst: int(burst)}
	}
	return cfg, nil
}

// smtpTLSModes maps the CRD's TLS modes to the sender's.
var smtpTLSModes = map[v1alpha1.SMTPTLSMode]senderconfig.TLSMode{
	"None": senderconfig.TLSNone, "StartTLS": senderconfig.TLSStartTLS, "TLS": senderconfig.TLSImplicit,
}
