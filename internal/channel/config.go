package channel

import (
	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
	"github.com/retention-dev/retention-operator/internal/channel/urlpolicy"

	"errors"
	"fmt"
	"os"
)

// New builds the Sender stack for cfg:
//
//	WithRetry(WithRateLimit(base))
//
// The rate limiter sits inside the retry loop, so every attempt, retries
// included, takes a token and the receiver never sees more than PerSecond
// requests per second, even while it is recovering from an outage.
func New(cfg senderconfig.Config, secrets SecretSource) (Sender, error) {
	base, err := newBase(cfg, secrets)
	if err != nil {
		return nil, err
	}
	return WithRetry(WithRateLimit(base, cfg.RateLimit.PerSecond, cfg.RateLimit.Burst), cfg.Retry), nil
}

func newBase(cfg senderconfig.Config, secrets SecretSource) (Sender, error) {
	switch cfg.Type {
	case senderconfig.TypeWebhook:
		// The target first: a refused URL is a spec error, whatever the Secret holds.
		if err := urlpolicy.Validate(cfg.Webhook.URL, cfg.Webhook.AllowLoopback); err != nil {
			return nil, err
		}
		if cfg.Webhook.SigningSecretKey == "" {
			return nil, errors.New("webhook: SigningSecretKey is empty; name the secret key holding the HMAC signing secret")
		}
		secret, err := secretFrom(secrets, cfg.Webhook.SigningSecretKey)
		if err != nil {
			return nil, fmt.Errorf("webhook signing secret: %w", err)
		}
		return NewWebhookSender(cfg.Webhook, secret)
	case senderconfig.TypeSMTP:
		var cred SMTPCredentials
		if (cfg.SMTP.UsernameKey == "") != (cfg.SMTP.PasswordKey == "") {
			return nil, errors.New("smtp: set both UsernameKey and PasswordKey, or neither")
		}
		if cfg.SMTP.UsernameKey != "" {
			u, err := secretFrom(secrets, cfg.SMTP.UsernameKey)
			if err != nil {
				return nil, fmt.Errorf("smtp username: %w", err)
			}
			p, err := secretFrom(secrets, cfg.SMTP.PasswordKey)
			if err != nil {
				return nil, fmt.Errorf("smtp password: %w", err)
			}
			cred.Username, cred.Password = string(u), string(p)
		}
		if cfg.SMTP.CAKey != "" {
			ca, err := secretFrom(secrets, cfg.SMTP.CAKey)
			if err != nil {
				return nil, fmt.Errorf("smtp CA: %w", err)
			}
			cred.CAPEM = ca
		}
		return NewSMTPSender(cfg.SMTP, cred)
	case senderconfig.TypeConsole:
		w := cfg.ConsoleOutput
		if w == nil {
			w = os.Stdout
		}
		return NewConsoleSender(w), nil
	default:
		return nil, fmt.Errorf("channel type %q is not one of webhook, smtp, console", cfg.Type)
	}
}

func secretFrom(secrets SecretSource, key string) ([]byte, error) {
	if secrets == nil {
		return nil, fmt.Errorf("secret %q needed but no SecretSource given", key)
	}
	return secrets.Secret(key)
}
