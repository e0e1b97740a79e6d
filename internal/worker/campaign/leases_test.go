package campaign

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// senderLog records which replica performed each customer's sends.
type senderLog struct {
	mu  sync.Mutex
	by  map[string]map[string]bool // customer/step -> replicas
	all map[string]map[string]bool // customer -> replicas
}

func (l *senderLog) wrap(replica string, s channel.Sender) channel.Sender {
	return senderFunc(func(ctx context.Context, m channel.Message) error {
		err := s.Send(ctx, m)
		if err == nil {
			l.mu.Lock()
			k := m.Metadata.CustomerID + "/" + m.Metadata.Step
			if l.by[k] == nil {
				l.by[k] = map[string]bool{}
			}
			l.by[k][replica] = true
			if l.all[m.Metadata.CustomerID] == nil {
				l.all[m.Metadata.CustomerID] = map[string]bool{}
			}
			l.all[m.Metadata.CustomerID][replica] = true
			l.mu.Unlock()
		}
		return err
	})
}

func (l *senderLog) replicas(key string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Sorted(maps.Keys(l.by[key]))
}

// soleReplica is the one replica that sent step to customer id; the test
// fails if none or several did.
func (l *senderLog) soleReplica(t *testing.T, id, step string) string {
	t.Helper()
	rs := l.replicas(id + "/" + step)
	if len(rs) != 1 {
		t.Fatalf("customer %s %s sent by replicas %v, want exactly one", id, step, rs)
	}
	return rs[0]
}

// helloPauseBye sends every segment entrant "Hello", waits pause, then
// sends "Bye", on channel "hook".
func helloPauseBye(name string, pause time.Duration) journey.Config {
	return journey.Config{Name: name, Namespace: "shop", Trigger: journey.Trigger{SegmentEntry: true},
		Steps: []journey.Step{
			{Name: "hello", Send: &journey.SendStep{ChannelRef: "hook", Template: journey.Template{Subject: "Hi", Body: "Hello"}}},
			{Name: "pause", Wait: &journey.WaitStep{Duration: pause}},
			{Name: "bye", Send: &journey.SendStep{ChannelRef: "hook", Template: journey.Template{Subject: "Bye", Body: "Bye"}}},
		}}
}

// waitFor polls cond every 20ms for up to limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Three identical replicas (no shard index) against one PostgreSQL store
// split 150 customers by shard lease: each replica sends only to the
// customers of its one shard, every message arrives exactly once by key.
// Then one replica is killed (its leases are not released): after the lease
// expires a survivor takes its shard over from the stored journey states and
// sends the second step to those customers, again exactly once.
func TestReplicasShareShardsByLease(t *testing.T) {
	db := testdb.Open(t, testdb.Postgres(t), store.Open)
	recv := newReceiver(t, 0)
	src := &memSource{feats: customers(150)}
	cfg := helloPauseBye("shop/replicas", 2*time.Second)
	log := &senderLog{by: map[string]map[string]bool{}, all: map[string]map[string]bool{}}
	hook := webhookSender(t, recv.srv.URL)
	names := []string{"r0", "r1", "r2"}
	cancels := map[string]context.CancelFunc{}
	errs := make(chan error, len(names))
	for _, name := range names {
		ctx, cancel := context.WithCancel(context.Background())
		cancels[name] = cancel
		o := Options{Playbook: cfg, DB: db, Source: src, Logger: quiet, PollInterval: 40 * time.Millisecond,
			Channels:     hookChannels(log.wrap(name, hook)),
			ChannelKinds: hookKinds(),
			Leases: &LeaseOptions{Shards: 3, Holder: name, TTL: 3 * time.Second, Settle: 500 * time.Millisecond,
				KeepOnExit: name == "r1"}}
		go func() { errs <- Run(ctx, o) }()
	}
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	want := map[string]string{} // key -> customer
	hellos := 0
	for _, id := range webhookConsenting(150) {
		want[journey.IdempotencyKey(cfg.Name, id, 1, "hello")] = id
		want[journey.IdempotencyKey(cfg.Name, id, 1, "bye")] = id
		hellos++
	}
	ctx := context.Background()
	// Kill r1 only once every hello is confirmed in the ledger, so no send
	// of its is in flight (that would be resent with the same key).
	waitFor(t, 15*time.Second, "all hellos sent and confirmed", func() bool {
		c, err := db.DeliveryCounts(ctx, cfg.Name)
		return err == nil && c["message/sent"] == int64(hellos) && c["message/pending"] == 0
	})
	// Before the kill: each replica served exactly one whole shard. (The TTL
	// is long enough that a loaded CI machine does not lose leases by
	// renewing late.)
	shardOf := map[string]int{}
	for _, id := range webhookConsenting(150) {
		r := log.soleReplica(t, id, "hello")
		s := journey.Shard(id, 3)
		if prev, ok := shardOf[r]; ok && prev != s {
			t.Fatalf("replica %s served shards %d and %d, want one shard per replica", r, prev, s)
		}
		shardOf[r] = s
	}
	if len(shardOf) != 3 {
		t.Fatalf("replicas serving customers: %v, want all 3 with one shard each", shardOf)
	}
	cancels["r1"]() // crash: leases stay until they expire
	waitFor(t, 20*time.Second, "every message of both steps", func() bool {
		c, err := db.DeliveryCounts(ctx, cfg.Name)
		return err == nil && c["message/sent"] == int64(len(want)) && c["message/pending"] == 0
	})
	for _, c := range cancels {
		c()
	}
	for range names {
		if err := <-errs; err != nil {
			t.Fatalf("replica returned %v", err)
		}
	}
	got := recv.keys()
	for k, id := range want {
		if got[k] != 1 {
			t.Errorf("key %s (customer %s) received %d times, want exactly 1", k, id, got[k])
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected key %s", k)
		}
	}
	// After the kill: r1's shard went to exactly one survivor; the other
	// shards stayed with their replicas.
	takers := map[string]bool{}
	for _, id := range webhookConsenting(150) {
		r := log.soleReplica(t, id, "bye")
		if journey.Shard(id, 3) == shardOf["r1"] {
			if r == "r1" {
				t.Fatalf("customer %s: bye sent by the killed replica r1", id)
			}
			takers[r] = true
		} else if hello := log.replicas(id + "/hello"); r != hello[0] {
			t.Errorf("customer %s of a live replica's shard: hello by %s, bye by %s", id, hello[0], r)
		}
	}
	if len(takers) != 1 {
		t.Errorf("r1's shard was taken over by %v, want exactly one survivor", slices.Sorted(maps.Keys(takers)))
	}
}

// A one-shot replica (--once) that holds no shard lease does not exit while
// the playbook still has journeys due: a holder that crashed left the only
// shard leased with every journey waiting; the one-shot replica waits for
// the lease to expire, takes the shard over and finishes the journeys.
func TestOnceWaitsForJourneysOfShardsItDoesNotHold(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		recv := newReceiver(t, 0)
		src := &memSource{feats: customers(30)}
		cfg := helloPauseBye("shop/once", 300*time.Millisecond)
		hook := webhookSender(t, recv.srv.URL)
		opts := func(holder string, once bool) Options {
			return Options{Playbook: cfg, DB: db, Source: src, Logger: quiet, PollInterval: 20 * time.Millisecond,
				Channels:     hookChannels(hook),
				ChannelKinds: hookKinds(), ExitWhenIdle: once,
				Leases: &LeaseOptions{Shards: 1, Holder: holder, TTL: 600 * time.Millisecond, Settle: -1, KeepOnExit: true}}
		}
		// The first holder sends every hello, then crashes keeping its lease.
		ctx, cancel := context.WithCancel(context.Background())
		errs := make(chan error, 1)
		go func() { errs <- Run(ctx, opts("crashed", false)) }()
		waitFor(t, 15*time.Second, "hellos sent", func() bool {
			c, err := db.DeliveryCounts(context.Background(), cfg.Name)
			return err == nil && c["message/sent"] == 20 && c["message/pending"] == 0
		})
		cancel()
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		if err := Run(context.Background(), opts("once", true)); err != nil {
			t.Fatal(err)
		}
		left, err := db.PlaybookOutstanding(context.Background(), cfg.Name)
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.DeliveryCounts(context.Background(), cfg.Name)
		if err != nil {
			t.Fatal(err)
		}
		if left != 0 || c["message/sent"] != 40 {
			t.Fatalf("--once returned with %d journeys/rows outstanding and %d of 40 messages sent", left, c["message/sent"])
		}
	})
}
