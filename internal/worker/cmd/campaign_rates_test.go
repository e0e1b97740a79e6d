package cmd

import (
	"testing"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
)

// The campaign worker gets each Channel's spec.rateLimit (burst defaulted)
// to enforce across replicas; channels without one are not limited.
func TestChannelRatesFromSpec(t *testing.T) {
	hook := v1alpha1.ChannelSpec{Webhook: &v1alpha1.WebhookChannel{URL: "https://example.com/hook",
		SigningSecretRef: v1alpha1.SecretKeySelector{Name: "s", Key: "hmac"}}, RateLimit: &v1alpha1.RateLimit{PerSecond: 5}}
	rates := channelRates(workerChannels(t, map[string]v1alpha1.ChannelSpec{"hook": hook, "console": {Console: &v1alpha1.ConsoleChannel{}}}))
	want := senderconfig.RateLimit{PerSecond: 5, Burst: int(v1alpha1.DefaultBurst(5))}
	if len(rates) != 1 || rates["hook"] != want {
		t.Fatalf("rates %+v, want hook at %+v only (the default burst)", rates, want)
	}
}
