package specmap

import (
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
)

func TestChannel(t *testing.T) {
	tests := []struct {
		name    string
		spec    v1alpha1.ChannelSpec
		want    senderconfig.Config
		wantErr string
	}{
		{name: "webhook with every field and a rate limit",
			spec: v1alpha1.ChannelSpec{
				Webhook: &v1alpha1.WebhookChannel{URL: "https://hooks.shop.example/retention",
					SigningSecretRef: v1alpha1.SecretKeySelector{Name: "hook", Key: "hmac"},
					Headers:          map[string]string{"X-Team": "crm"}, Timeout: "1m30s"},
				RateLimit: &v1alpha1.RateLimit{PerSecond: 50, Burst: 200}},
			want: senderconfig.Config{Type: senderconfig.TypeWebhook,
				Webhook: senderconfig.WebhookConfig{URL: "https://hooks.shop.example/retention", SigningSecretKey: "hmac",
					Headers: map[string]string{"X-Team": "crm"}, Timeout: 90 * time.Second},
				RateLimit: senderconfig.RateLimit{PerSecond: 50, Burst: 200}}},
		{name: "webhook without timeout keeps the sender default",
			spec: v1alpha1.ChannelSpec{Webhook: &v1alpha1.WebhookChannel{URL: "http://127.0.0.1:9/h",
				SigningSecretRef: v1alpha1.SecretKeySelector{Name: "hook", Key: "key"}}},
			want: senderconfig.Config{Type: senderconfig.TypeWebhook,
				Webhook: senderconfig.WebhookConfig{URL: "http://127.0.0.1:9/h", SigningSecretKey: "key"}}},
		{name: "smtp with credentials and implicit TLS, burst defaults to perSecond",
			spec: v1alpha1.ChannelSpec{
				SMTP: &v1alpha1.SMTPChannel{Host: "smtp.shop.example", Port: 465, From: "Shop <hi@shop.example>",
					CredentialsSecretRef: &v1alpha1.LocalObjectReference{Name: "smtp-creds"}, TLS: "TLS"},
				RateLimit: &v1alpha1.RateLimit{PerSecond: 5}},
			want: senderconfig.Config{Type: senderconfig.TypeSMTP,
				SMTP: senderconfig.SMTPConfig{Host: "smtp.shop.example", Port: 465, From: "Shop <hi@shop.example>",
					UsernameKey: "username", PasswordKey: "password", TLS: senderconfig.TLSImplicit},
				RateLimit: senderconfig.RateLimit{PerSecond: 5, Burst: 1}}}, // default burst: a tenth of the rate, at least 1
		{name: "smtp without credentials, StartTLS",
			spec: v1alpha1.ChannelSpec{SMTP: &v1alpha1.SMTPChannel{Host: "relay", Port: 587, From: "a@b.c", TLS: "StartTLS"}},
			want: senderconfig.Config{Type: senderconfig.TypeSMTP,
				SMTP: senderconfig.SMTPConfig{Host: "relay", Port: 587, From: "a@b.c", TLS: senderconfig.TLSStartTLS}}},
		{name: "smtp None, TLS unset is the sender default",
			spec: v1alpha1.ChannelSpec{SMTP: &v1alpha1.SMTPChannel{Host: "relay", Port: 25, From: "a@b.c", TLS: "None"}},
			want: senderconfig.Config{Type: senderconfig.TypeSMTP, SMTP: senderconfig.SMTPConfig{Host: "relay", Port: 25, From: "a@b.c", TLS: senderconfig.TLSNone}}},
		{name: "console",
			spec: v1alpha1.ChannelSpec{Console: &v1alpha1.ConsoleChannel{}},
			want: senderconfig.Config{Type: senderconfig.TypeConsole}},
		{name: "two kinds",
			spec: v1alpha1.ChannelSpec{Console: &v1alpha1.ConsoleChannel{},
				SMTP: &v1alpha1.SMTPChannel{Host: "relay", Port: 25, From: "a@b.c"}},
			wantErr: "sets 2 of webhook, smtp, console"},
		{name: "none",
			spec:    v1alpha1.ChannelSpec{},
			wantErr: "sets 0 of webhook, smtp, console"},
		{name: "bad smtp tls",
			spec:    v1alpha1.ChannelSpec{SMTP: &v1alpha1.SMTPChannel{Host: "relay", Port: 25, From: "a@b.c", TLS: "SSL"}},
			wantErr: `spec.smtp.tls "SSL"`},
		{name: "bad webhook timeout",
			spec: v1alpha1.ChannelSpec{Webhook: &v1alpha1.WebhookChannel{URL: "http://x",
				SigningSecretRef: v1alpha1.SecretKeySelector{Name: "h", Key: "k"}, Timeout: "soon"}},
			wantErr: "spec.webhook.timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Channel(&tt.spec)
			expectMapped(t, got, err, tt.want, tt.wantErr)
		})
	}
}

// TestChannelBuildsSender checks the converted config is one channel.New
// accepts with the secrets laid out as the controller mounts them.
func TestChannelBuildsSender(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/hmac", "s3cret\n")
	cfg, err := Channel(&v1alpha1.ChannelSpec{Webhook: &v1alpha1.WebhookChannel{URL: "http://10.0.0.9:9/h",
		SigningSecretRef: v1alpha1.SecretKeySelector{Name: "hook", Key: "hmac"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := channel.New(cfg, channel.DirSecrets(dir)); err != nil {
		t.Fatalf("channel.New: %v", err)
	}
	// Without the key file the error names the key and where it was looked for.
	_, err = channel.New(cfg, channel.DirSecrets(t.TempDir()))
	if err == nil || !strings.Contains(err.Error(), `secret "hmac" is missing`) {
		t.Fatalf("error = %v, want the missing key named", err)
	}
}
