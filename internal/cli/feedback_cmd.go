package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/feedback"
	"github.com/retention-dev/retention-operator/internal/feedback/providerwebhook"
	"github.com/retention-dev/retention-operator/internal/store"
)

type feedbackSendOptions struct {
	url, provider, email, kind, secretsDir string
	timeout                                time.Duration
}

// newFeedbackCommand is `retentionctl feedback`: the counterpart of
// `events send` for a Channel's bounce and complaint webhook.
func newFeedbackCommand() *cobra.Command {
	return commandGroup("feedback", "Try a Channel's bounce and complaint webhook (docs/deliverability.md)", newFeedbackSendCommand(), newFeedbackSendGridKeyCommand())
}

func newFeedbackSendCommand() *cobra.Command {
	o := &feedbackSendOptions{}
	cmd := &cobra.Command{
		Use:   "send --url URL --provider sendgrid|mailgun|postmark --email ADDRESS --secrets DIR",
		Short: "Post one bounce or complaint, signed as the provider signs it, to a feedback endpoint",
		Long: `Post one event to URL/feedback/PROVIDER shaped and signed as the provider
sends it: a SendGrid Event Webhook event (ECDSA signature), a Mailgun webhook
(HMAC signature) or a Postmark bounce record (HTTP Basic credentials). Each
run is a new event (a fresh event id).

The credentials come from --secrets, a directory with one file per key, as
the feedback Secret is mounted: mailgun-signing-key; postmark-username and
postmark-password; for SendGrid the private half of a test key pair,
` + providerwebhook.SendGridSigningKeySecret + ` (SendGrid keeps its own private key: make a
pair with "retentionctl feedback sendgrid-key" and give the server its
sendgrid-verification-key). The answer is printed; a non-2xx answer is an error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", "", "base URL of the feedback server, e.g. http://127.0.0.1:18480 (required)")
	f.StringVar(&o.provider, "provider", "", "sendgrid, mailgun or postmark (required)")
	f.StringVar(&o.email, "email", "", "the address that bounced or complained (required)")
	f.StringVar(&o.kind, "kind", string(store.FeedbackHardBounce), "hard-bounce, soft-bounce or complaint")
	f.StringVar(&o.secretsDir, "secrets", "", "directory holding the provider's credentials, one file per key (required)")
	f.DurationVar(&o.timeout, "timeout", 10*time.Second, "how long to wait for the answer")
	return cmd
}

func (o *feedbackSendOptions) run(ctx context.Context, out io.Writer) error {
	for flag, v := range map[string]string{"--url": o.url, "--provider": o.provider, "--email": o.email, "--secrets": o.secretsDir} {
		if v == "" {
			return fmt.Errorf("%s is required", flag)
		}
	}
	kind := store.FeedbackKind(o.kind)
	switch kind {
	case store.FeedbackHardBounce, store.FeedbackSoftBounce, store.FeedbackComplaint:
	default:
		return fmt.Errorf("--kind %q: want hard-bounce, soft-bounce or complaint", o.kind)
	}
	url := strings.TrimSuffix(o.url, "/") + "/feedback/" + o.provider
	req, err := feedbackRequest(o.provider, url, kind, o.email, channel.DirSecrets(o.secretsDir), time.Now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	code, body, err := providerwebhook.Post(req.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("post %s: %w", url, err)
	}
	fmt.Fprintln(out, strings.TrimSpace(body))
	if code < 200 || code > 299 {
		return fmt.Errorf("%s answered %d", url, code)
	}
	return nil
}

// feedbackRequest is one event of kind for email, as provider sends it.
func feedbackRequest(provider, url string, kind store.FeedbackKind, email string, secrets feedback.SecretSource, now time.Time) (*http.Request, error) {
	id := randomID()
	switch provider {
	case "sendgrid":
		pem, err := secrets.Secret(providerwebhook.SendGridSigningKeySecret)
		if err != nil {
			return nil, err
		}
		key, err := providerwebhook.ParseSendGridKey(pem)
		if err != nil {
			return nil, fmt.Errorf("%s: %w; make one with retentionctl feedback sendgrid-key", providerwebhook.SendGridSigningKeySecret, err)
		}
		ev := providerwebhook.SendGridEvent{Email: email, Timestamp: now.Unix(), Event: "bounce", Type: "bounce",
			SGEventID: id, SGMessage: "retentionctl-" + id}
		switch kind {
		case store.FeedbackSoftBounce:
			ev.Type = "blocked"
		case store.FeedbackComplaint:
			ev.Event, ev.Type = "spamreport", ""
		}
		return providerwebhook.SendGridRequest(url, key, now, ev)
	case "mailgun":
		key, err := secrets.Secret(feedback.MailgunKeySecret)
		if err != nil {
			return nil, err
		}
		ev := providerwebhook.MailgunEvent{Event: "failed", Severity: "permanent", Recipient: email, Timestamp: float64(now.Unix()), ID: id}
		switch kind {
		case store.FeedbackSoftBounce:
			ev.Severity = "temporary"
		case store.FeedbackComplaint:
			ev.Event, ev.Severity = "complained", ""
		}
		body, err := providerwebhook.MailgunBody(key, now, "retentionctl-"+id, ev)
		if err != nil {
			return nil, err
		}
		return jsonPost(url, body)
	case "postmark":
		user, err := secrets.Secret(feedback.PostmarkUserSecret)
		if err != nil {
			return nil, err
		}
		pass, err := secrets.Secret(feedback.PostmarkPasswordSecret)
		if err != nil {
			return nil, err
		}
		rec := providerwebhook.PostmarkBounce{RecordType: "Bounce", ID: randomInt63(), Type: "HardBounce", TypeCode: 1,
			Email: email, BouncedAt: now.UTC().Format(time.RFC3339)}
		switch kind {
		case store.FeedbackSoftBounce:
			rec.Type, rec.TypeCode = "SoftBounce", 4096
		case store.FeedbackComplaint:
			rec.RecordType, rec.Type, rec.TypeCode = "SpamComplaint", "SpamComplaint", 512
		}
		body, err := json.Marshal(rec)
		if err != nil {
			return nil, err
		}
		req, err := jsonPost(url, body)
		if err == nil {
			req.SetBasicAuth(string(user), string(pass))
		}
		return req, err
	default:
		return nil, fmt.Errorf("--provider %q: want sendgrid, mailgun or postmark", provider)
	}
}

func jsonPost(url string, body []byte) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("--url: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return hex.EncodeToString(b)
}

func randomInt63() int64 {
	n, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	return n.Int64() + 1
}

func newFeedbackSendGridKeyCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "sendgrid-key --dir DIR",
		Short: "Make a SendGrid-style signing key pair for trying the feedback endpoint",
		Long: `Write a P-256 key pair into DIR as two files: sendgrid-verification-key (the
public key as SendGrid's Mail Settings show it: put it in the feedback Secret
of a test Channel) and ` + providerwebhook.SendGridSigningKeySecret + ` (the private key,
mode 0600, which "retentionctl feedback send --provider sendgrid" signs with).
A real SendGrid account signs with its own key: use its verification key in
production.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return fmt.Errorf("--dir is required")
			}
			key, err := providerwebhook.NewSendGridKey()
			if err != nil {
				return err
			}
			private, err := key.EncodePrivate()
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, providerwebhook.SendGridSigningKeySecret), private, 0o600); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, feedback.SendGridKeySecret), key.Public, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s and %s in %s\n", feedback.SendGridKeySecret, providerwebhook.SendGridSigningKeySecret, dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory to write the two key files into (required)")
	return cmd
}
