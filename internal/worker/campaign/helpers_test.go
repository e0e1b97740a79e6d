package campaign

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// quiet discards the worker's logs in tests.
var quiet = slog.New(slog.DiscardHandler)

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
	return eachSince(m.events, since, func(e *customer.Event) time.Time { return e.OccurredAt }, fn)
}

func (m *memSource) ScanOrders(ctx context.Context, since time.Time, fn func(*customer.Order) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return eachSince(m.orders, since, func(o *customer.Order) time.Time { return o.OccurredAt }, fn)
}

// eachSince calls fn with every item that occurred at or after since, in
// order, stopping at the first error.
func eachSince[T any](items []T, since time.Time, occurred func(*T) time.Time, fn func(*T) error) error {
	for i := range items {
		if !occurred(&items[i]).Before(since) {
			if err := fn(&items[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// stepClock is a clock that moves forward by step on every reading, so
// waits elapse without sleeping. With no step it stands still until the
// test advances it, so the test decides exactly when time passes.
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

// advance moves the clock forward by d.
func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// peek reads the clock without stepping it.
func (c *stepClock) peek() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func testDBs() map[string]func(testing.TB) *store.DB {
	return map[string]func(testing.TB) *store.DB{
		"sqlite":   func(t testing.TB) *store.DB { return testdb.Open(t, testdb.SQLite(t), store.Open) },
		"postgres": func(t testing.TB) *store.DB { return testdb.Open(t, testdb.Postgres(t), store.Open) },
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

// onEntry is a playbook (namespace shop) that sends every segment entrant
// one message: step on channelRef with tmpl.
func onEntry(name, step, channelRef string, tmpl journey.Template) journey.Config {
	return journey.Config{Name: name, Namespace: "shop", Trigger: journey.Trigger{SegmentEntry: true},
		Steps: []journey.Step{{Name: step, Send: &journey.SendStep{ChannelRef: channelRef, Template: tmpl}}}}
}

// everyone is an Options.InSegment that has every customer a member.
func everyone(*customer.Features) bool { return true }

// hookChannels is the one channel "hook", sending with s.
func hookChannels(s channel.Sender) map[string]channel.Sender {
	return map[string]channel.Sender{"hook": s}
}

// hookKinds says the channel "hook" is a webhook.
func hookKinds() map[string]journey.ChannelKind {
	return map[string]journey.ChannelKind{"hook": journey.KindWebhook}
}

// withHook is o with its one channel "hook", a webhook to url, and its
// logs discarded.
func withHook(t testing.TB, url string, o Options) Options {
	o.Channels, o.ChannelKinds, o.Logger = hookChannels(webhookSender(t, url)), hookKinds(), quiet
	return o
}

// lastSummary keeps the newest summary a worker published (Options.Publish).
type lastSummary struct {
	mu sync.Mutex
	s  *Summary
}

func (l *lastSummary) publish(_ context.Context, s *Summary) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.s = s
	return nil
}

func (l *lastSummary) get() *Summary {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s
}

// runIdle runs o until the worker is idle (polling every millisecond),
// failing t on an error, and returns the last summary it published.
func runIdle(t testing.TB, o Options) *Summary {
	t.Helper()
	var last lastSummary
	o.PollInterval, o.ExitWhenIdle, o.Publish = time.Millisecond, true, last.publish
	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("run %s (shard %d): %v", o.Playbook.Name, o.Shard, err)
	}
	return last.get()
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

// rounds runs n rounds (polls) of w, failing t on an error.
func rounds(t *testing.T, w *worker, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := w.round(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// summaryAfter runs n rounds of w and returns its summary then.
func summaryAfter(t *testing.T, w *worker, n int) *Summary {
	t.Helper()
	rounds(t, w, n)
	s, err := w.Summarize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newShardWorker builds the single-shard worker Run would, so a test can
// drive it one poll (round) at a time.
func newShardWorker(t *testing.T, o Options) *worker {
	t.Helper()
	return shardWorker(t, o, 0, 1)
}
