package cmd

import (
	"testing"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/channel"
)

// The campaign worker gets each Channel's spec.rateLimit (burst defaulted)
// to enforce across replicas; channels without one are not limited.
func TestChannelRatesFromSpec(t *testing.T) {
	hook := v1alpha1.ChannelSpec{Webhook: &v1alpha1.WebhookChannel{URL: "https://example.com/hook",
		SigningSecretRef: v1alpha1.SecretKeySelector{Name: "s", Key: "hmac"}}, RateLimit: &v1alpha1.RateLimit{PerSecond: 5}}
	rates, err := channelRates(map[string]v1alpha1.ChannelSpec{"hook": hook, "console": {Console: &v1alpha1.ConsoleChannel{}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rates) != 1 || rates["hook"] != (channel.RateLimit{PerSecond: 5, Burst: 5}) {
		t.Fatalf("rates %+v, want hook at 5/s burst 5 only", rates)
	}
}
