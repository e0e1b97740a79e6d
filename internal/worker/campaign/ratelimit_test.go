package campaign

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
	"github.com/retention-dev/retention-operator/internal/journey"
)

// timedReceiver records when each request arrived, and its idempotency key.
type timedReceiver struct {
	mu   sync.Mutex
	at   []time.Time
	keys map[string]bool
	srv  *httptest.Server
}

func newTimedReceiver(t *testing.T) *timedReceiver {
	r := &timedReceiver{keys: map[string]bool{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.at = append(r.at, time.Now())
		r.keys[req.Header.Get(channel.IdempotencyHeader)] = true
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// busiestSecond is the most requests inside any sliding one-second window,
// and the time from the first request to the last.
func (r *timedReceiver) busiestSecond() (max int, span time.Duration, total int) {
	r.mu.Lock()
	at := append([]time.Time(nil), r.at...)
	r.mu.Unlock()
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	for i, j := 0, 0; j < len(at); j++ {
		for at[j].Sub(at[i]) >= time.Second {
			i++
		}
		max = maxInt(max, j-i+1)
	}
	if len(at) > 1 {
		span = at[len(at)-1].Sub(at[0])
	}
	return max, span, len(at)
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// Three replicas of each of two playbooks send through one Channel limited
// to N per second: the receiver never sees more than 1.2 x N requests in any
// second, because all six workers take tokens from one bucket in the state
// store (without it they would send as fast as they can).
func TestChannelRateIsGlobal(t *testing.T) {
	const perSecond = 40
	for name, open := range testDBs() {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			recv := newTimedReceiver(t)
			hook := webhookSender(t, recv.srv.URL)
			src := &memSource{feats: customers(120)} // 80 with webhook consent
			var wg sync.WaitGroup
			errs := make(chan error, 6)
			for _, pbName := range []string{"shop/first", "shop/second"} {
				cfg := onEntry(pbName, "hi", "hook", journey.Template{Subject: "Hi", Body: "Hi"})
				for r := 0; r < 3; r++ {
					o := Options{Playbook: cfg, DB: db, Source: src, Logger: quiet, PollInterval: 20 * time.Millisecond,
						ExitWhenIdle: true, Concurrency: 4, Channels: hookChannels(hook),
						ChannelKinds: hookKinds(),
						// The burst a Channel gets when it sets none.
						ChannelRates: map[string]senderconfig.RateLimit{"hook": {PerSecond: perSecond, Burst: int(v1alpha1.DefaultBurst(int32(perSecond)))}},
						Leases: &LeaseOptions{Shards: 3, Holder: fmt.Sprintf("%s-%d", pbName, r), TTL: 5 * time.Second,
							Settle: 300 * time.Millisecond}}
					wg.Add(1)
					go func() { defer wg.Done(); errs <- Run(context.Background(), o) }()
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			busiest, span, total := recv.busiestSecond()
			t.Logf("%s: %d requests (%d keys) over %v, busiest second %d (limit %d/s)", name, total, len(recv.keys),
				span.Round(time.Millisecond), busiest, perSecond)
			// Every message once by key. A worker that loses its shard's
			// lease with sends in flight (a starved machine can miss the
			// renewal) leaves them to the next holder, which sends them again
			// with the same key: more requests, never more messages.
			if len(recv.keys) != 160 || total < 160 {
				t.Fatalf("receiver saw %d keys in %d requests, want 160 keys", len(recv.keys), total)
			}
			if float64(busiest) > 1.2*perSecond {
				t.Fatalf("busiest second had %d requests, more than 1.2 x %d", busiest, perSecond)
			}
		})
	}
}
