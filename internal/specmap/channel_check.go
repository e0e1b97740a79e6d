package specmap

import (
	"fmt"
	netmail "net/mail"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// checkChannel refuses a Channel spec the senders (channel.New) would
// refuse, for reasons that show in the spec alone; Channel runs it first.
// Credentials are not looked at: the controller checks their keys exist and
// never reads their values. The webhook target is judged by
// urlpolicy.Validate, which the controller runs on its own (InvalidURL) and
// the sender again at dial time.
func checkChannel(spec *v1alpha1.ChannelSpec) error {
	if set := countSet(spec.Webhook != nil, spec.SMTP != nil, spec.Console != nil); set != 1 {
		return fmt.Errorf("channel spec sets %d of webhook, smtp, console; set exactly one", set)
	}
	if w := spec.Webhook; w != nil {
		if _, err := Duration("spec.webhook.timeout", w.Timeout); err != nil {
			return err
		}
	}
	if s := spec.SMTP; s != nil {
		if _, err := netmail.ParseAddress(s.From); err != nil {
			return fmt.Errorf(`spec.smtp.from: %q is not a mail address (%v); write it as "news@shop.example" or "Shop <news@shop.example>"`, s.From, err)
		}
		switch s.TLS {
		case "", "None", "StartTLS", "TLS":
		default:
			return fmt.Errorf("spec.smtp.tls %q is not one of None, StartTLS, TLS", s.TLS)
		}
	}
	if r := spec.RateLimit; r != nil && r.PerSecond <= 0 {
		return fmt.Errorf("spec.rateLimit.perSecond must be >= 1")
	}
	return nil
}
