package campaign

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/retention-dev/retention-operator/internal/store"
)

// LeaseOptions make identical replicas (one Deployment, no per-pod index)
// share the playbook's customers through shard leases in the state store
// (see store.ClaimShards): the customers are cut into Shards parts by hash,
// each replica claims free or expired shards up to ceil(Shards / live
// replicas), renews its leases every tick, works only on customers of the
// shards it holds, and releases them on a graceful stop. Every transaction
// that writes journey states or ledger rows re-checks the lease, so a
// replica that lost one cannot enqueue for those customers.
type LeaseOptions struct {
	// Shards is the number of shards: the playbook's replica count.
	Shards int
	// Holder identifies this replica; default $HOSTNAME (Kubernetes sets it
	// to the pod name), else host name and process id (two local processes
	// must never share an id), else a random id.
	Holder string
	// TTL is how long a lease lasts without renewal: a crashed replica's
	// shards are taken over after at most TTL plus one poll interval.
	// Default max(30s, 3 x PollInterval); it must exceed a tick's duration.
	TTL time.Duration
	// Settle is how long a starting replica announces itself before its
	// first claim, so replicas started together split evenly at once.
	// Default min(TTL/3, 5s) with more than one shard; negative means no wait.
	Settle time.Duration
	// Clock reads the wall clock for lease expiry (default time.Now); it is
	// separate from Options.Clock, which tests move through journey time.
	Clock func() time.Time
	// KeepOnExit skips the release on return: tests use it to simulate a
	// replica that crashed.
	KeepOnExit bool
}

func (l *LeaseOptions) defaults(poll time.Duration) {
	if l.Shards < 1 {
		l.Shards = 1
	}
	if l.Holder == "" {
		l.Holder = os.Getenv("HOSTNAME")
	}
	if h, err := os.Hostname(); l.Holder == "" && err == nil && h != "" {
		l.Holder = h + "-" + strconv.Itoa(os.Getpid())
	}
	if l.Holder == "" {
		b := make([]byte, 8)
		rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails
		l.Holder = "replica-" + hex.EncodeToString(b)
	}
	if l.TTL <= 0 {
		l.TTL = max(30*time.Second, 3*poll)
	}
	if l.Settle == 0 && l.Shards > 1 {
		l.Settle = min(l.TTL/3, 5*time.Second)
	}
	if l.Clock == nil {
		l.Clock = time.Now
	}
}

// shardSet yields the per-shard workers this replica runs on each tick.
type shardSet interface {
	current(ctx context.Context) ([]*worker, error)
	drop(w *worker)
	release(ctx context.Context) error
}

// staticSet is the --shard i/n override: one fixed shard, no lease.
type staticSet struct{ w *worker }

func (s staticSet) current(context.Context) ([]*worker, error) { return []*worker{s.w}, nil }
func (s staticSet) drop(*worker)                               {}
func (s staticSet) release(context.Context) error              { return nil }

// leasedSet holds a worker per leased shard; a shard's journey states are
// loaded from the store when its lease is won, because the previous holder
// wrote them there.
type leasedSet struct {
	base    *worker
	l       LeaseOptions
	workers map[int]*worker
	// renewedAt is read by valid from the goroutines sending a batch
	// (sends.go) while the run loop renews.
	renewedAt atomic.Pointer[time.Time]
	started   bool
	held      []int
}

func (s *leasedSet) request() store.ShardLeaseRequest {
	return store.ShardLeaseRequest{Playbook: s.base.pb.Name, Shards: s.l.Shards, Holder: s.l.Holder, Now: s.l.Clock(), TTL: s.l.TTL}
}

func (s *leasedSet) current(ctx context.Context) ([]*worker, error) {
	if !s.started {
		s.started = true
		if s.l.Settle > 0 {
			r := s.request()
			r.HeartbeatOnly = true
			if _, _, err := s.base.db.ClaimShards(ctx, r); err != nil {
				return nil, err
			}
			select {
			case <-ctx.Done():
				return nil, nil
			case <-time.After(s.l.Settle):
			}
		}
	}
	r := s.request()
	held, live, err := s.base.db.ClaimShards(ctx, r)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(held, s.held) {
		s.base.o.Logger.Info("shard leases changed", "playbook", s.base.pb.Name, "holder", s.l.Holder,
			"shards", s.l.Shards, "held", held, "liveReplicas", live)
		s.held = held
	}
	if last := s.renewedAt.Load(); last != nil && !r.Now.Before(last.Add(s.l.TTL)) {
		// Our leases lapsed before this renewal: another replica may have
		// held the shards meanwhile, so the cached states are reloaded.
		for sh, w := range s.workers {
			s.forget(sh, w)
		}
	}
	now := r.Now
	s.renewedAt.Store(&now)
	keep := map[int]bool{}
	for _, sh := range held {
		keep[sh] = true
		if s.workers[sh] != nil {
			continue
		}
		w, err := s.base.forShard(ctx, sh, s.l.Shards, &store.ShardLease{Playbook: s.base.pb.Name, Shard: sh,
			Shards: s.l.Shards, Holder: s.l.Holder, Now: s.l.Clock})
		if err != nil {
			return nil, err
		}
		w.leaseValid = s.valid
		s.workers[sh] = w
	}
	for sh, w := range s.workers {
		if !keep[sh] {
			s.forget(sh, w)
		}
	}
	out := make([]*worker, 0, len(held))
	for _, sh := range held {
		out = append(out, s.workers[sh])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].o.Shard < out[j].o.Shard })
	return out, nil
}

// valid says whether the leases renewed last are certainly still ours; a
// replica past that point sends nothing (the rows stay pending for the next
// holder, which sends them with the same keys).
func (s *leasedSet) valid() bool {
	last := s.renewedAt.Load()
	return last != nil && s.l.Clock().Before(last.Add(s.l.TTL))
}

func (s *leasedSet) drop(w *worker) { s.forget(w.o.Shard, w) }

// forget drops a shard's worker once its sends in flight have finished: a
// worker made for the shard later (or the next holder) finds their rows
// pending only if they really are, and never resends one on the wire.
func (s *leasedSet) forget(shard int, w *worker) {
	w.awaitSends() //nolint:errcheck // rows that failed stay pending for whoever holds the shard
	delete(s.workers, shard)
}

func (s *leasedSet) release(ctx context.Context) error {
	if s.l.KeepOnExit {
		return nil
	}
	return s.base.db.ReleaseShards(ctx, s.base.pb.Name, s.l.Holder)
}

// forShard makes the worker of one shard and loads that shard's journey
// states and trigger observations.
func (w *worker) forShard(ctx context.Context, shard, shards int, lease *store.ShardLease) (*worker, error) {
	c := *w
	c.o.Shard, c.o.Shards, c.lease = shard, shards, lease
	c.sends = &sendPipe{}
	var err error
	if c.states, err = w.db.LoadJourneyStates(ctx, w.pb.Name, shard, shards); err != nil {
		return nil, err
	}
	if c.seen, err = w.db.LoadJourneySeen(ctx, w.pb.Name, shard, shards); err != nil {
		return nil, err
	}
	return &c, nil
}

// journeyTx is the store transaction, guarded by the shard lease when the
// replica works by lease.
func (w *worker) journeyTx(ctx context.Context, ids []string, capSince time.Time,
	fn func(map[string]int) (*store.JourneyBatch, error)) error {
	return w.db.JourneyTxLeased(ctx, w.lease, w.pb.Namespace, w.pb.Name, ids, capSince, fn)
}

// holdsLease is false once this replica can no longer be sure of its lease.
func (w *worker) holdsLease() bool { return w.leaseValid == nil || w.leaseValid() }

func isLeaseLost(err error) bool { return errors.Is(err, store.ErrLeaseLost) }
