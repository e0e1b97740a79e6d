package channel

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
)

// retryDefaults fills zero fields from DefaultRetryPolicy (MaxElapsed 0 stays "no cap").
func retryDefaults(p senderconfig.RetryPolicy) senderconfig.RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = senderconfig.DefaultRetryPolicy.MaxAttempts
	}
	if p.InitialBackoff <= 0 {
		p.InitialBackoff = senderconfig.DefaultRetryPolicy.InitialBackoff
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = senderconfig.DefaultRetryPolicy.MaxBackoff
	}
	return p
}

// backoffCap is min(MaxBackoff, InitialBackoff * 2^(failed-1)).
func backoffCap(p senderconfig.RetryPolicy, failed int) time.Duration {
	d := p.InitialBackoff
	for i := 1; i < failed; i++ {
		d *= 2
		if d >= p.MaxBackoff || d <= 0 { // d <= 0: overflow
			return p.MaxBackoff
		}
	}
	return min(d, p.MaxBackoff)
}

// RetryingSender retries transient errors of the wrapped Sender.
type RetryingSender struct {
	next   Sender
	policy senderconfig.RetryPolicy
	// Clock and randomness, replaceable in tests so backoff can be checked
	// without sleeping.
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
	jitter func() float64 // uniform in [0,1)
}

// WithRetry wraps sender with policy. Permanent errors are returned at once.
func WithRetry(sender Sender, policy senderconfig.RetryPolicy) Sender {
	return newRetrying(sender, policy)
}

func newRetrying(sender Sender, policy senderconfig.RetryPolicy) *RetryingSender {
	return &RetryingSender{next: sender, policy: retryDefaults(policy), now: time.Now, sleep: sleepCtx, jitter: rand.Float64}
}

// Send tries msg up to MaxAttempts times. The idempotency key is unchanged
// across attempts, so a receiver that got an earlier attempt whose response was
// lost can drop the repeat.
func (r *RetryingSender) Send(ctx context.Context, msg Message) error {
	start := r.now()
	for attempt := 1; ; attempt++ {
		err := r.next.Send(ctx, msg)
		if err == nil {
			return nil
		}
		if IsPermanent(err) {
			return err
		}
		if ctx.Err() != nil {
			return err
		}
		if attempt >= r.policy.MaxAttempts {
			return fmt.Errorf("giving up after %d attempts: %w", attempt, err)
		}
		delay := time.Duration(r.jitter() * float64(backoffCap(r.policy, attempt)))
		if ra, ok := RetryAfter(err); ok && ra > delay {
			delay = ra
		}
		if r.policy.MaxElapsed > 0 && r.now().Add(delay).Sub(start) > r.policy.MaxElapsed {
			return fmt.Errorf("giving up after %d attempts: next retry in %s would exceed max elapsed %s: %w",
				attempt, delay, r.policy.MaxElapsed, err)
		}
		if serr := r.sleep(ctx, delay); serr != nil {
			return fmt.Errorf("%w while waiting to retry (attempt %d failed: %v)", serr, attempt, err)
		}
	}
}
