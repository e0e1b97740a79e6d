package channel

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/time/rate"
)

// RateLimitedSender holds a Sender to a token-bucket rate: on average perSecond
// sends per second, with bursts of up to burst sends.
type RateLimitedSender struct {
	next    Sender
	limiter *rate.Limiter
	// now and sleep are the clock; tests substitute a fake one to check the
	// limiter's delays without waiting in real time.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// WithRateLimit wraps sender so Send blocks (honouring ctx) until the rate
// allows it. perSecond <= 0 means unlimited (sender is returned unchanged);
// burst < 1 is raised to 1.
func WithRateLimit(sender Sender, perSecond float64, burst int) Sender {
	if perSecond <= 0 {
		return sender
	}
	return newRateLimited(sender, perSecond, burst)
}

func newRateLimited(sender Sender, perSecond float64, burst int) *RateLimitedSender {
	if burst < 1 {
		burst = 1
	}
	return &RateLimitedSender{
		next:    sender,
		limiter: rate.NewLimiter(rate.Limit(perSecond), burst),
		now:     time.Now,
		sleep:   sleepCtx,
	}
}

// Send waits for a token and then sends. If ctx would expire before the token
// is available it fails at once and gives the token back, like rate.Limiter.Wait.
func (r *RateLimitedSender) Send(ctx context.Context, msg Message) error {
	if err := r.wait(ctx); err != nil {
		return err
	}
	return r.next.Send(ctx, msg)
}

// wait reserves one token at now() and sleeps for the reservation's delay.
func (r *RateLimitedSender) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := r.now()
	res := r.limiter.ReserveN(now, 1)
	if !res.OK() {
		return fmt.Errorf("rate limit: cannot reserve a token (burst %d)", r.limiter.Burst())
	}
	delay := res.DelayFrom(now)
	if delay == 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && dl.Sub(now) < delay {
		res.CancelAt(now)
		return fmt.Errorf("rate limit: next slot in %s is after the context deadline: %w", delay, context.DeadlineExceeded)
	}
	if err := r.sleep(ctx, delay); err != nil {
		res.CancelAt(r.now())
		return err
	}
	return nil
}

// sleepCtx sleeps for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
