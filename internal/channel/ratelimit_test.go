package channel

import (
	"context"
	"slices"
	"testing"
	"time"
)

// countingSender counts sends; it is the "downstream" behind the limiter.
type countingSender struct{ n int }

func (c *countingSender) Send(context.Context, Message) error { c.n++; return nil }

func newTestRateLimited(next Sender, perSecond float64, burst int, clk *fakeClock) *RateLimitedSender {
	r := newRateLimited(next, perSecond, burst)
	r.now, r.sleep = clk.now, clk.sleep
	return r
}

func TestRateLimitDelays(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	tests := []struct {
		name      string
		perSecond float64
		burst     int
		frozen    bool
		sends     int
		// wantSleeps are the delays the limiter imposed, in order (0 delays are not slept).
		wantSleeps []time.Duration
	}{
		// All at one instant: tokens are reserved ever further ahead, 1/5 s apart after the burst.
		{name: "5/s burst 2, same instant", perSecond: 5, burst: 2, frozen: true, sends: 6,
			wantSleeps: []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 600 * time.Millisecond, 800 * time.Millisecond}},
		// Time moves as the sender waits: steady state is one send per 1/rate.
		{name: "5/s burst 2, clock advances", perSecond: 5, burst: 2, sends: 6,
			wantSleeps: []time.Duration{200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond}},
		{name: "5000/s burst 1", perSecond: 5000, burst: 1, sends: 4,
			wantSleeps: []time.Duration{200 * time.Microsecond, 200 * time.Microsecond, 200 * time.Microsecond}},
		{name: "burst below 1 is raised to 1", perSecond: 2, burst: 0, sends: 3,
			wantSleeps: []time.Duration{500 * time.Millisecond, 500 * time.Millisecond}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeClock{t: t0, frozen: tc.frozen}
			down := &countingSender{}
			rl := newTestRateLimited(down, tc.perSecond, tc.burst, clk)
			for i := 0; i < tc.sends; i++ {
				if err := rl.Send(context.Background(), Message{IdempotencyKey: "k"}); err != nil {
					t.Fatal(err)
				}
			}
			if down.n != tc.sends {
				t.Errorf("downstream sends = %d, want %d", down.n, tc.sends)
			}
			if !slices.Equal(clk.slept, tc.wantSleeps) {
				t.Errorf("sleeps = %v, want %v", clk.slept, tc.wantSleeps)
			}
		})
	}
}

func TestRateLimitCancelReturnsToken(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1700000000, 0), frozen: true}
	down := &countingSender{}
	rl := newTestRateLimited(down, 10, 1, clk)
	if err := rl.Send(context.Background(), Message{}); err != nil { // uses the burst token
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := rl.Send(ctx, Message{}); err == nil {
		t.Fatal("send with cancelled ctx succeeded")
	}
	// The cancelled send must not have consumed a slot: the next one waits
	// 100ms (one token at 10/s), not 200ms.
	if err := rl.Send(context.Background(), Message{}); err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{100 * time.Millisecond}; !slices.Equal(clk.slept, want) || down.n != 2 {
		t.Errorf("sleeps = %v, downstream = %d; want %v, 2", clk.slept, down.n, want)
	}
}

func TestRateLimitDeadlineTooSoon(t *testing.T) {
	down := &countingSender{}
	rl := newRateLimited(down, 1, 1) // real clock; no sleeping happens in this test
	_ = rl.Send(context.Background(), Message{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	// The next token is ~1s away, beyond the 10ms deadline: fail at once.
	if err := rl.Send(ctx, Message{}); err == nil {
		t.Fatal("send succeeded although the next slot is after the deadline")
	}
	if down.n != 1 {
		t.Errorf("downstream sends = %d, want 1", down.n)
	}
}

func TestWithRateLimitUnlimited(t *testing.T) {
	down := &countingSender{}
	if s := WithRateLimit(down, 0, 10); s != Sender(down) {
		t.Errorf("perSecond 0 should return the sender unchanged, got %T", s)
	}
}
