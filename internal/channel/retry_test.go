package channel

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
)

// fakeClock advances only when the code under test sleeps, so backoff and
// rate-limit delays can be asserted exactly without waiting.
type fakeClock struct {
	t      time.Time
	slept  []time.Duration
	frozen bool // if true, sleeping records but does not advance time
}

func (c *fakeClock) now() time.Time { return c.t }
func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.slept = append(c.slept, d)
	if !c.frozen {
		c.t = c.t.Add(d)
	}
	return nil
}

func newTestRetrying(next Sender, p senderconfig.RetryPolicy, clk *fakeClock) *RetryingSender {
	r := newRetrying(next, p)
	r.now, r.sleep = clk.now, clk.sleep
	r.jitter = func() float64 { return 0.5 } // d = cap/2, so sleeps are exact
	return r
}

func TestRetryAgainstWebhookReceiver(t *testing.T) {
	policy := senderconfig.RetryPolicy{MaxAttempts: 4, InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, MaxElapsed: time.Minute}
	tests := []struct {
		name          string
		script        []func(http.ResponseWriter)
		wantErr       bool
		wantPermanent bool
		wantAttempts  int
		wantSleeps    []time.Duration
	}{
		{name: "503 twice then 200: 3 attempts", script: []func(http.ResponseWriter){status(503, ""), status(503, "")},
			wantAttempts: 3, wantSleeps: []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}},
		{name: "400: 1 attempt, permanent", script: []func(http.ResponseWriter){status(400, "")},
			wantErr: true, wantPermanent: true, wantAttempts: 1},
		{name: "429 Retry-After 1s waits 1s", script: []func(http.ResponseWriter){status(429, "1")},
			wantAttempts: 2, wantSleeps: []time.Duration{time.Second}},
		{name: "500 forever: MaxAttempts 4", script: []func(http.ResponseWriter){status(500, ""), status(500, ""), status(500, ""), status(500, ""), status(500, "")},
			wantErr: true, wantAttempts: 4, wantSleeps: []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}},
		{name: "Retry-After beyond MaxElapsed: give up", script: []func(http.ResponseWriter){status(503, "3600")},
			wantErr: true, wantAttempts: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rcv := newWebhookReceiver(t, tc.script...)
			w := rcv.sender(t)
			clk := &fakeClock{t: time.Unix(1700000000, 0)}
			err := newTestRetrying(w, policy, clk).Send(context.Background(), testMessage())
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && IsPermanent(err) != tc.wantPermanent {
				t.Errorf("IsPermanent = %v, want %v", IsPermanent(err), tc.wantPermanent)
			}
			reqs := rcv.requests()
			if len(reqs) != tc.wantAttempts {
				t.Errorf("attempts = %d, want %d", len(reqs), tc.wantAttempts)
			}
			for i, r := range reqs {
				if k := r.Header.Get("Idempotency-Key"); k != "winback/step-1/cust-42" {
					t.Errorf("attempt %d Idempotency-Key = %q", i+1, k)
				}
			}
			if !slices.Equal(clk.slept, tc.wantSleeps) {
				t.Errorf("sleeps = %v, want %v", clk.slept, tc.wantSleeps)
			}
		})
	}
}

func TestBackoffCap(t *testing.T) {
	p := retryDefaults(senderconfig.RetryPolicy{InitialBackoff: 200 * time.Millisecond, MaxBackoff: 30 * time.Second})
	tests := []struct {
		failed int
		want   time.Duration
	}{
		{1, 200 * time.Millisecond}, {2, 400 * time.Millisecond}, {3, 800 * time.Millisecond},
		{8, 25600 * time.Millisecond}, {9, 30 * time.Second}, {200, 30 * time.Second},
	}
	for _, tc := range tests {
		if got := backoffCap(p, tc.failed); got != tc.want {
			t.Errorf("backoffCap(%d) = %s, want %s", tc.failed, got, tc.want)
		}
	}
}

func TestRetryFullJitterRange(t *testing.T) {
	// jitter 0 -> no wait; jitter just below 1 -> just below the cap.
	for _, j := range []struct {
		u    float64
		want time.Duration
	}{{0, 0}, {0.999, 99900 * time.Microsecond}} {
		calls := 0
		fail := SenderFunc(func(context.Context, Message) error {
			calls++
			if calls == 1 {
				return &Error{Channel: "test", Err: errors.New("flaky")}
			}
			return nil
		})
		clk := &fakeClock{t: time.Unix(0, 0)}
		r := newTestRetrying(fail, senderconfig.RetryPolicy{MaxAttempts: 2, InitialBackoff: 100 * time.Millisecond}, clk)
		r.jitter = func() float64 { return j.u }
		if err := r.Send(context.Background(), Message{IdempotencyKey: "k"}); err != nil {
			t.Fatal(err)
		}
		if len(clk.slept) != 1 || clk.slept[0] != j.want {
			t.Errorf("jitter %v: sleeps %v, want [%s]", j.u, clk.slept, j.want)
		}
	}
}

func TestRetryHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	s := SenderFunc(func(context.Context, Message) error {
		calls++
		cancel() // the caller gives up while the first attempt fails
		return &Error{Channel: "test", Err: errors.New("timeout")}
	})
	r := newRetrying(s, senderconfig.RetryPolicy{MaxAttempts: 5, InitialBackoff: time.Hour})
	err := r.Send(ctx, Message{IdempotencyKey: "k"})
	if err == nil || calls != 1 {
		t.Fatalf("err = %v after %d calls, want error after 1 call", err, calls)
	}

	// Cancelled during the backoff sleep (real sleepCtx): returns ctx error.
	// The cancel comes as the sleep starts, not from a goroutine the failed
	// attempt starts: that one could win the race to the check before the
	// sleep and make the test flaky.
	ctx2, cancel2 := context.WithCancel(context.Background())
	s2 := SenderFunc(func(context.Context, Message) error {
		return &Error{Channel: "test", Err: errors.New("timeout")}
	})
	r2 := newRetrying(s2, senderconfig.RetryPolicy{MaxAttempts: 5, InitialBackoff: time.Hour, MaxBackoff: time.Hour})
	r2.jitter = func() float64 { return 0.99 }
	r2.sleep = func(ctx context.Context, d time.Duration) error {
		cancel2()
		return sleepCtx(ctx, d)
	}
	err = r2.Send(ctx2, Message{IdempotencyKey: "k"})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "waiting to retry") {
		t.Fatalf("err = %v, want context.Canceled while waiting to retry", err)
	}
}
