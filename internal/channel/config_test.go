package channel

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
)

func TestNewErrors(t *testing.T) {
	secrets := writeSecrets(t, map[string][]byte{"hook": []byte("whsec_value_123"), "user": []byte("u")})
	tests := []struct {
		name    string
		cfg     senderconfig.Config
		wantErr string
	}{
		{name: "unknown type", cfg: senderconfig.Config{Type: "sms"}, wantErr: `channel type "sms"`},
		{name: "webhook without key name", cfg: senderconfig.Config{Type: senderconfig.TypeWebhook, Webhook: senderconfig.WebhookConfig{AllowLoopback: true, URL: "http://127.0.0.1/"}}, wantErr: "SigningSecretKey is empty"},
		{name: "webhook secret missing", cfg: senderconfig.Config{Type: senderconfig.TypeWebhook, Webhook: senderconfig.WebhookConfig{AllowLoopback: true, URL: "http://127.0.0.1/", SigningSecretKey: "nope"}}, wantErr: `secret "nope" is missing`},
		{name: "smtp half credentials", cfg: senderconfig.Config{Type: senderconfig.TypeSMTP, SMTP: senderconfig.SMTPConfig{Host: "h", From: "a@b.c", UsernameKey: "user"}}, wantErr: "both UsernameKey and PasswordKey"},
		{name: "smtp password missing", cfg: senderconfig.Config{Type: senderconfig.TypeSMTP, SMTP: senderconfig.SMTPConfig{Host: "h", From: "a@b.c", UsernameKey: "user", PasswordKey: "smtp-password"}}, wantErr: `secret "smtp-password" is missing`},
		{name: "webhook bad url", cfg: senderconfig.Config{Type: senderconfig.TypeWebhook, Webhook: senderconfig.WebhookConfig{URL: "nope", SigningSecretKey: "hook"}}, wantErr: `url "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, secrets)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "whsec_value_123") {
				t.Errorf("error echoes a secret value: %v", err)
			}
		})
	}
}

func TestNewWebhookStackRetriesAndSigns(t *testing.T) {
	rcv := newWebhookReceiver(t, status(503, ""), status(503, ""))
	secrets := writeSecrets(t, map[string][]byte{"hook": []byte("whsec_value_123\n")})
	s, err := New(senderconfig.Config{
		Type:      senderconfig.TypeWebhook,
		Webhook:   senderconfig.WebhookConfig{AllowLoopback: true, URL: rcv.srv.URL, SigningSecretKey: "hook"},
		RateLimit: senderconfig.RateLimit{PerSecond: 1000, Burst: 10},
		Retry:     senderconfig.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond},
	}, secrets)
	if err != nil {
		t.Fatal(err)
	}
	reqs := rcv.sendOnce(t, s, 3)
	last := reqs[2]
	if err := VerifySignature([]byte("whsec_value_123"), last.Header.Get(SignatureHeader), last.Body, time.Minute, time.Now()); err != nil {
		t.Errorf("signature with secret read from file does not verify: %v", err)
	}
}

func TestNewConsole(t *testing.T) {
	var buf bytes.Buffer
	s, err := New(senderconfig.Config{Type: senderconfig.TypeConsole, ConsoleOutput: &buf}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), Message{IdempotencyKey: "k", To: "bob@example.org", Subject: "s", Metadata: Metadata{Step: "a"}}); err != nil {
		t.Fatal(err)
	}
	if want := "[console] to=b***@example.org subject=\"s\" step=a key=k\n"; buf.String() != want {
		t.Errorf("console = %q, want %q", buf.String(), want)
	}
}
