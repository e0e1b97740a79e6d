package campaign

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
)

// quiet discards the worker's logs in tests.
var quiet = slog.New(slog.DiscardHandler)

// receiver is a real HTTP webhook endpoint on loopback that counts requests
// per Idempotency-Key and remembers which customer each key was for.
type receiver struct {
	mu       sync.Mutex
	byKey    map[string]int
	customer map[string]string
	requests int
	delay    time.Duration
	srv      *httptest.Server
}

func newReceiver(t testing.TB, delay time.Duration) *receiver {
	r := &receiver{byKey: map[string]int{}, customer: map[string]string{}, delay: delay}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var p struct {
			Metadata channel.Metadata `json:"metadata"`
		}
		_ = json.Unmarshal(body, &p)
		if r.delay > 0 {
			time.Sleep(r.delay)
		}
		r.mu.Lock()
		key := req.Header.Get(channel.IdempotencyHeader)
		r.byKey[key]++
		r.customer[key] = p.Metadata.CustomerID
		r.requests++
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) keys() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.byKey))
	for k, v := range r.byKey {
		out[k] = v
	}
	return out
}

func (r *receiver) customers() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for _, c := range r.customer {
		out[c]++
	}
	return out
}

func webhookSender(t testing.TB, url string) channel.Sender {
	s, err := channel.NewWebhookSender(senderconfig.WebhookConfig{URL: url, Timeout: 5 * time.Second, AllowLoopback: true}, []byte("test-secret"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// memSource serves fixed feature rows and events (the customer data a
// connector would read; what the worker decides from them is real).
type memSource struct {
	mu     sync.Mutex
	feats  []customer.Features
	events []customer.Event
	orders []customer.Order
}

func (m *memSource) ScanFeatures(ctx context.Context, q datasource.FeatureQuery, fn func(*customer.Features) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.feats {
		if err := fn(&m.feats[i]); err != nil {
			return err
		}
	}
	return nil
}

func (m *memSource) ScanEvents(ctx context.Context, since time.Time, fn func(*customer.Event) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.events {
		if !m.events[i].OccurredAt.Before(since) {
			if err := fn(&m.events[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *memSource) ScanOrders(ctx context.Context, since time.Time, fn func(*customer.Order) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.orders {
		if !m.orders[i].OccurredAt.Before(since) {
			if err := fn(&m.orders[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// stepClock is a clock that moves forward by step on every reading, so
// waits elapse without sleeping.
type stepClock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(c.step)
	return c.now
}

func testDBs() map[string]func(testing.TB) *store.DB {
	return map[string]func(testing.TB) *store.DB{
		"sqlite":   func(t testing.TB) *store.DB { return store.OpenTestSQLite(t) },
		"postgres": func(t testing.TB) *store.DB { return store.OpenTestPostgres(t) },
	}
}

// senderFunc adapts a function to channel.Sender (the tests' receivers).
type senderFunc func(ctx context.Context, msg channel.Message) error

// Send calls f(ctx, msg).
func (f senderFunc) Send(ctx context.Context, msg channel.Message) error { return f(ctx, msg) }

// forEachDB runs test as a subtest on each state store (SQLite, PostgreSQL),
// each with a fresh database.
func forEachDB(t *testing.T, test func(t *testing.T, db *store.DB)) {
	t.Helper()
	for name, open := range testDBs() {
		t.Run(name, func(t *testing.T) { test(t, open(t)) })
	}
}

// hookChannels is the one channel "hook", sending with s.
func hookChannels(s channel.Sender) map[string]channel.Sender {
	return map[string]channel.Sender{"hook": s}
}

// hookKinds says the channel "hook" is a webhook.
func hookKinds() map[string]journey.ChannelKind {
	return map[string]journey.ChannelKind{"hook": journey.KindWebhook}
}

// shardWorker is a worker instance for shard i of n over db, as a replica
// started with --shard i/n would be.
func shardWorker(t *testing.T, o Options, shard, shards int) *worker {
	t.Helper()
	o.defaults()
	pb, sched, err := Validate(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := o.DB.MigrateJourney(ctx); err != nil {
		t.Fatal(err)
	}
	w, err := (&worker{o: o, db: o.DB, pb: pb, sched: sched}).forShard(ctx, shard, shards, nil)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// newShardWorker builds the single-shard worker Run would, so a test can
// drive it one poll (round) at a time.
func newShardWorker(t *testing.T, o Options) *worker {
	t.Helper()
	return shardWorker(t, o, 0, 1)
}
