package specmap

import (
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// Specs the CRD schema accepts that no worker could run: the check names the
// field and says what to write instead.
func TestCheckConnectorsNameTheField(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"smtp from without an address",
			checkChannel(&v1alpha1.ChannelSpec{SMTP: &v1alpha1.SMTPChannel{Host: "smtp.example", Port: 587, From: "the shop"}}),
			`spec.smtp.from: "the shop" is not a mail address`},
		{"webhook timeout past 100 years",
			checkChannel(&v1alpha1.ChannelSpec{Webhook: &v1alpha1.WebhookChannel{URL: "https://crm.example/hook", SigningSecretRef: v1alpha1.SecretKeySelector{Name: "sign", Key: "key"}, Timeout: "6000w"}}),
			"spec.webhook.timeout: "},
		{"two channel kinds",
			checkChannel(&v1alpha1.ChannelSpec{Console: &v1alpha1.ConsoleChannel{}, SMTP: &v1alpha1.SMTPChannel{From: "a@b.example"}}),
			"sets 2 of webhook, smtp, console"},
		{"transactions from two ConfigMap keys",
			checkDataSource(&v1alpha1.DataSourceSpec{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatTransactions,
				ConfigMapRef: &v1alpha1.ConfigMapFiles{Name: "logs", Keys: []string{"a", "b"}}}}),
			"spec.file.configMapRef.keys: a Transactions source needs exactly one key"},
		{"file with path and configMapRef",
			checkDataSource(&v1alpha1.DataSourceSpec{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatCSV, Path: "/data",
				ConfigMapRef: &v1alpha1.ConfigMapFiles{Name: "logs"}}}),
			"spec.file sets both path and configMapRef"},
	} {
		if tt.err == nil || !strings.Contains(tt.err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want it to contain %q", tt.name, tt.err, tt.want)
		}
	}
}

func TestCheckConnectorsAcceptValidSpecs(t *testing.T) {
	if err := checkChannel(&v1alpha1.ChannelSpec{SMTP: &v1alpha1.SMTPChannel{Host: "smtp.example", Port: 587,
		From: "Shop <news@shop.example>", TLS: "TLS"}, RateLimit: &v1alpha1.RateLimit{PerSecond: 5}}); err != nil {
		t.Errorf("smtp channel: %v", err)
	}
	if err := checkDataSource(&v1alpha1.DataSourceSpec{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatTransactions,
		ConfigMapRef: &v1alpha1.ConfigMapFiles{Name: "cdnow", Keys: []string{"CDNOW_sample.txt"}}}}); err != nil {
		t.Errorf("transactions source: %v", err)
	}
}
