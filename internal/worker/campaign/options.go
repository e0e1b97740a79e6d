// Package campaign is the campaign worker: it runs one Playbook. Each tick it
// takes the segment's members and their feature rows from the metric job's
// snapshot in the state store (Options.Segment; read again only when a new
// metric run has landed), reads events (with an overlap window, de-duplicated
// by event id) and orders (order_placed goals), decides who enters (the
// playbook's trigger and re-entry policy), advances every due journey with
// the journey engine, and performs the resulting effects exactly once
// through the delivery ledger:
//
//  1. in ONE transaction: the new journey states and a pending ledger row per
//     effect (deterministic idempotency key playbook/customer/enrolment/step);
//  2. after commit: send (bounded concurrency, each Channel's rate shared
//     through the state store), marking each row sent as its send returns,
//     so a crash leaves at most Concurrency sends unrecorded;
//  3. at start and on every tick: pending rows are sent again with the SAME
//     key, so a crash between 1 and 2 or 2 and 3 leads to a resend the
//     receiver recognises, never to a second distinct message or a lost one.
//
// Replicas split the customers by hash: shard s of n owns the customers
// with FNV-1a-64(id) mod 4096 mod n == s (journey.Shard). A Deployment has
// no per-pod ordinal, so identical replicas lease shards in the state store
// (Options.Leases, leases.go); --shard i/n pins one shard without a lease.
// Frequency caps are kept across playbooks (and shards of other playbooks)
// by per-customer locks in the state store (see store.JourneyTx).
package campaign

import (
	"context"
	"log/slog"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/subscription"
)

// Source is the part of datasource.Connector the worker reads.
type Source interface {
	ScanFeatures(ctx context.Context, q datasource.FeatureQuery, fn func(*customer.Features) error) error
	ScanEvents(ctx context.Context, since time.Time, fn func(*customer.Event) error) error
	// ScanOrders feeds order_placed goals (orders produce no events).
	ScanOrders(ctx context.Context, since time.Time, fn func(*customer.Order) error) error
}

// AwardFunc credits points for an awardPoints step; reason is the step's
// spec.steps[].awardPoints.reason ("" when unset), key the idempotency key
// (the loyalty ledger must credit once per key).
type AwardFunc func(ctx context.Context, program, customerID string, points int64, reason, key string) error

// BalancesFunc calls fn with every loyalty member's tier and available points at now.
type BalancesFunc func(ctx context.Context, now time.Time, fn func(memberID, tier string, available int64) error) error

// TierChange is one recorded loyalty tier change; ID orders them.
type TierChange struct {
	ID       int64
	MemberID string
	From, To string
}

// TierChangesFunc returns the recorded tier changes with ID > after, oldest
// first (one page; callers call again with the last ID until none are left).
type TierChangesFunc func(ctx context.Context, after int64) ([]TierChange, error)

// ExpiringPoints is one loyalty member whose points lapse within the
// program's warning window: Points lapse first at ExpiresAt.
type ExpiringPoints struct {
	MemberID  string
	Points    int64
	ExpiresAt time.Time
}

// ExpiringFunc lists every member of the program whose points lapse within
// the warning window now (the loyalty API's GET /v1/expiring).
type ExpiringFunc func(ctx context.Context) ([]ExpiringPoints, error)

// Options configure Run.
type Options struct {
	// Playbook is the engine config (converted from the Playbook resource).
	Playbook journey.Config
	// StoreURL is the state store (postgres://... or sqlite:PATH); ignored when DB is set.
	StoreURL string
	// DB, when set, is used instead of opening StoreURL (the caller closes it).
	DB *store.DB
	// Channels maps Channel names to senders, ChannelKinds the same names to
	// what they deliver (decides consent and recipient).
	Channels     map[string]channel.Sender
	ChannelKinds map[string]journey.ChannelKind
	// ChannelRates are the Channels' rate limits (spec.rateLimit). A rate
	// here is enforced across every replica and playbook of the namespace
	// through a token bucket in the state store: at most Burst at once, then
	// PerSecond (so at most Burst + PerSecond in any one second).
	ChannelRates map[string]senderconfig.RateLimit
	// Preferences signs the unsubscribe and preference links of Channels
	// that set spec.preferences (by Channel name); sends through them skip
	// customers who unsubscribed from the step's topic (subscriptions.go).
	Preferences map[string]*subscription.Linker
	// Source supplies feature rows and events.
	Source Source
	// Segment, when set, makes the metric job's stored snapshot of the
	// playbook's Segment the membership: members and their feature rows
	// (predicted features included) are read from the state store when a new
	// successful metric run has landed, never recomputed from raw rows and
	// never rescanned per poll. InSegment and SegmentRef are then unused.
	Segment *store.SegmentRef
	// InitialMembers is what a segment-entry playbook does with the members
	// already in the segment the first time it reads the snapshot: Enrol
	// (default) or Skip (only later entrants).
	InitialMembers InitialMembers
	// InSegment decides segment membership from each feature row (tests and
	// tools without a metric job; the worker command sets Segment); nil
	// reads the segment_members table for Playbook.SegmentRef, and an empty
	// SegmentRef means every customer.
	InSegment func(*customer.Features) bool
	// Award credits loyalty points; required when a step awards points.
	Award AwardFunc
	// LoyaltyBalances, when set, fills Features.LoyaltyTier and
	// LoyaltyPoints of every feature row each tick, before segment criteria,
	// triggers and templates see them (wire store.Points.ForEachBalance of
	// the program's ledger here).
	LoyaltyBalances BalancesFunc
	// TierChanges, when set, feeds a tierChange trigger from the program's
	// recorded tier changes (the loyalty API's change log) instead of
	// diffing LoyaltyTier between ticks.
	TierChanges TierChangesFunc
	// PointsExpiring feeds an event trigger with a programRef
	// (points_expiring): required for such a trigger.
	PointsExpiring ExpiringFunc
	// Clock returns now; nil means time.Now.
	Clock func() time.Time
	// Shard and Shards split customers across replicas (0 of 1 = all): the
	// explicit --shard i/n override. Ignored when Leases is set.
	Shard, Shards int
	// Leases, when set, makes identical replicas share the customers by
	// shard leases in the state store (see LeaseOptions).
	Leases *LeaseOptions
	// PollInterval between ticks (default 30s).
	PollInterval time.Duration
	// Wake, when set, starts the next tick at once instead of after
	// PollInterval: the state store's notification that new events were
	// ingested, so an event trigger enrols within a tick, not a poll. Polling
	// stays the fallback (a lost notification waits at most PollInterval).
	Wake <-chan struct{}
	// EventOverlap is how far before the event cursor each poll reads again
	// (default 15m), so events written late are still seen; their ids are
	// remembered inside the window so none acts twice.
	EventOverlap time.Duration
	// BatchSize is how many journeys one transaction advances (default 1000).
	BatchSize int
	// Concurrency bounds in-flight sends (default DefaultConcurrency).
	Concurrency int
	// Publish receives a Summary every PublishInterval (default 60s) and once
	// on return; it holds aggregates only.
	Publish         func(ctx context.Context, summary *Summary) error
	PublishInterval time.Duration
	// ExitWhenIdle makes Run return once no journey is active and no ledger
	// row is pending (tests, one-shot runs).
	ExitWhenIdle bool
	// DryRun and Suspend override the playbook's own flags when true.
	DryRun, Suspend bool
	Logger          *slog.Logger
}

// DefaultConcurrency is how many sends a shard has in flight. A send keeps
// its slot until its outcome commits (outcomeRecorder), so this bounds what a
// crash leaves unrecorded and also the send rate: at 64 a commit round of
// 150-300 ms on a busy 2-core store held the worker near 300 messages/s, and
// event-to-send p99 at 1,000 events/s was 6.4 s; 256 gave 1.5-2.4 s
// (hack/bench-event-to-send.sh, BENCHMARKS.md).
const DefaultConcurrency = 256

func (o *Options) defaults() {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Shards <= 0 {
		o.Shards = 1
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 30 * time.Second
	}
	if o.EventOverlap <= 0 {
		o.EventOverlap = 15 * time.Minute
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.PublishInterval <= 0 {
		o.PublishInterval = time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Leases != nil {
		l := *o.Leases
		l.defaults(o.PollInterval)
		o.Leases = &l
	}
	if o.InitialMembers == "" {
		o.InitialMembers = InitialMembersEnrol
	}
	o.DryRun = o.DryRun || o.Playbook.DryRun
	o.Suspend = o.Suspend || o.Playbook.Suspend
}
