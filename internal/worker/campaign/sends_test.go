package campaign

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
)

// overlapSource is a memSource whose event reads (the start of each tick)
// note whether sends of an earlier tick were still in flight.
type overlapSource struct {
	*memSource
	inFlight   *atomic.Int64
	overlapped atomic.Int64
}

func (s *overlapSource) ScanEvents(ctx context.Context, since time.Time, fn func(*customer.Event) error) error {
	if s.inFlight.Load() > 0 {
		s.overlapped.Add(1)
	}
	return s.memSource.ScanEvents(ctx, since, fn)
}

// Under a stream of events every round is woken and starts while the
// previous tick's sends are still on the wire (sends.go). Each message is
// still delivered once: no round resends a row that is in flight, a send
// that fails transiently goes out again with the same key on a later round
// and is then recorded once, and the ledger ends with every message sent.
func TestWokenTicksOverlapSendsEachOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		const n = 60
		const concurrency = 8
		src := &memSource{feats: consenting(n)}
		var inFlight, peak atomic.Int64
		var mu sync.Mutex
		attempts, accepted := map[string]int{}, map[string]int{}
		flaky := map[string]bool{}
		for _, i := range []int{3, 17, 42} {
			flaky[journey.IdempotencyKey("shop/pipe", fmt.Sprintf("cust-%04d", i), 1, "hello")] = true
		}
		sender := senderFunc(func(ctx context.Context, msg channel.Message) error {
			cur := inFlight.Add(1)
			defer inFlight.Add(-1)
			for p := peak.Load(); cur > p && !peak.CompareAndSwap(p, cur); p = peak.Load() {
			}
			time.Sleep(60 * time.Millisecond) // long enough for the next woken round to start meanwhile
			mu.Lock()
			defer mu.Unlock()
			attempts[msg.IdempotencyKey]++
			if flaky[msg.IdempotencyKey] && attempts[msg.IdempotencyKey] == 1 {
				return errors.New("connection reset") // transient: resent with the same key
			}
			accepted[msg.IdempotencyKey]++
			return nil
		})
		ovl := &overlapSource{memSource: src, inFlight: &inFlight}
		cfg := journey.Config{Name: "shop/pipe", Namespace: "shop", Trigger: journey.Trigger{Event: &journey.EventTrigger{Type: "cart_updated"}},
			Steps: []journey.Step{{Name: "hello", Send: &journey.SendStep{ChannelRef: "hook", Template: journey.Template{Body: "hi {{.id}}"}}}}}
		wake := make(chan struct{}, 1)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		runErr := make(chan error, 1)
		go func() {
			runErr <- Run(ctx, Options{Playbook: cfg, DB: db, Source: ovl, Channels: hookChannels(sender),
				ChannelKinds: hookKinds(), Wake: wake,
				PollInterval: time.Hour, Concurrency: concurrency, Logger: quiet})
		}()
		// One event every few milliseconds, each waking the worker, as
		// the ingestion API's notifications do. The first is sent before
		// the stream starts, so the stream meets woken rounds, not the
		// first round on the poll interval.
		for i := 0; i < n; i++ {
			src.mu.Lock()
			src.events = append(src.events, customer.Event{CustomerID: fmt.Sprintf("cust-%04d", i), Type: "cart_updated",
				OccurredAt: time.Now().Add(-time.Millisecond)})
			src.mu.Unlock()
			select {
			case wake <- struct{}{}:
			default:
			}
			for first := time.Now(); i == 0 && time.Since(first) < 30*time.Second; time.Sleep(5 * time.Millisecond) {
				mu.Lock()
				got := len(accepted)
				mu.Unlock()
				if got == 1 {
					break
				}
			}
			time.Sleep(8 * time.Millisecond)
		}
		// The transiently failed rows are resent once a round finds them
		// due; keep waking until the ledger has every message sent.
		deadline := time.Now().Add(60 * time.Second)
		for {
			counts, err := db.DeliveryCounts(context.Background(), "shop/pipe")
			if err != nil {
				t.Fatal(err)
			}
			if counts["message/"+store.DeliverySent] == n || time.Now().After(deadline) {
				break
			}
			select {
			case wake <- struct{}{}:
			default:
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if err := <-runErr; err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(accepted) != n {
			t.Fatalf("%d of %d messages accepted", len(accepted), n)
		}
		for key, c := range accepted {
			want := 1
			if flaky[key] {
				want = 2
			}
			if c != 1 || attempts[key] != want {
				t.Errorf("key %s accepted %d times after %d attempts; want once after %d", key, c, attempts[key], want)
			}
		}
		if p := peak.Load(); p > concurrency {
			t.Errorf("%d sends in flight at once, want at most Concurrency %d", p, concurrency)
		}
		if ovl.overlapped.Load() == 0 {
			t.Error("no tick started while sends were in flight: the sends were not pipelined")
		}
		counts, err := db.DeliveryCounts(context.Background(), "shop/pipe")
		if err != nil {
			t.Fatal(err)
		}
		if counts["message/"+store.DeliverySent] != n || counts["message/"+store.DeliveryPending] != 0 {
			t.Errorf("ledger %v, want %d sent and none pending", counts, n)
		}
	})
}
