package feedback

import (
	"fmt"
	"time"
)

// SecretSource resolves secret values by key; errors name the key, never
// the value (channel.DirSecrets, a mounted Kubernetes Secret, is one).
type SecretSource interface {
	Secret(key string) ([]byte, error)
}

// The keys each provider reads from the feedback Secret.
const (
	SendGridKeySecret      = "sendgrid-verification-key"
	MailgunKeySecret       = "mailgun-signing-key"
	PostmarkUserSecret     = "postmark-username"
	PostmarkPasswordSecret = "postmark-password"
)

// ProvidersFromSecrets builds the named providers (sendgrid, mailgun,
// postmark) with their keys from secrets. tolerance bounds signed
// timestamps (0: DefaultTolerance).
func ProvidersFromSecrets(secrets SecretSource, names []string, tolerance time.Duration) ([]Provider, error) {
	var out []Provider
	for _, name := range names {
		var p Provider
		var err error
		switch name {
		case "sendgrid":
			var key []byte
			if key, err = secrets.Secret(SendGridKeySecret); err == nil {
				p, err = NewSendGrid(key, SendGridKeySecret, tolerance)
			}
		case "mailgun":
			var key []byte
			if key, err = secrets.Secret(MailgunKeySecret); err == nil {
				p, err = NewMailgun(key, MailgunKeySecret, tolerance)
			}
		case "postmark":
			var user, pass []byte
			if user, err = secrets.Secret(PostmarkUserSecret); err == nil {
				if pass, err = secrets.Secret(PostmarkPasswordSecret); err == nil {
					p = NewPostmark(user, pass)
				}
			}
		case "ses":
			err = fmt.Errorf("amazon SES (SNS) feedback is not supported: verifying SNS needs its signing certificate fetched from AWS; forward SES notifications through a supported provider or use SendGrid, Mailgun or Postmark")
		default:
			err = fmt.Errorf("unknown provider; want sendgrid, mailgun or postmark")
		}
		if err != nil {
			return nil, fmt.Errorf("feedback provider %q: %w", name, err)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no feedback provider configured; name at least one of sendgrid, mailgun, postmark")
	}
	return out, nil
}
