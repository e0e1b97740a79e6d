// Package metrics is the Segment metric job (`worker metrics`, run by the
// Segment's CronJob): it evaluates the Segment's criteria over the data
// source's feature rows, stores the membership snapshot in the state store,
// diffs it against the previous one, computes the requested retention metrics
// and publishes a summary of aggregates (never customer data).
//
// Memory stays bounded by the segment, not the data: feature rows are
// streamed and folded into running totals, member ids are streamed into the
// state store in batches, and only the metrics that need per-customer state
// (retention and churn, cohorts, predicted CLV) keep a small entry per member.
package metrics

import (
	"log/slog"
	"time"

	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/metrics"
	"github.com/retention-dev/retention-operator/internal/store"
)

// Options configure one run.
type Options struct {
	// Namespace and Name identify the Segment (membership rows are keyed by Name).
	Namespace, Name string
	// Segment is what to compute: the controller's mapping of the Segment
	// spec (contract.Segment.Config).
	Segment metrics.SegmentConfig
	// Source is the data source to open, unless Connector is set (the caller
	// then owns and closes it).
	Source    sourceconfig.Config
	Connector datasource.Connector
	// DB is the state store (migrated by Run). Nil evaluates without storing a
	// snapshot (retentionctl segment eval): entered/exited stay 0.
	DB *store.DB
	// Loyalty, when set, is the program of spec.loyaltyProgramRef: members'
	// tiers and available points are read from its ledger in DB (the state
	// store the loyalty worker shares) into customer.loyaltyTier/loyaltyPoints.
	Loyalty *loyalty.Config
	// IngestSource, when set, is the DataSource's ingestion API source
	// (<namespace>/<DataSource>): its identify traits in DB are laid over the
	// data source's customer rows (store.Traits.Apply).
	IngestSource string
	// Clock returns now, the AsOf of the run; nil means time.Now.
	Clock func() time.Time
	// Logger gets stage timings and counts (never ids); nil discards.
	Logger *slog.Logger
	// Progress, when set, is called about every ProgressEvery rows of a scan.
	Progress func(Progress)
	// Full recomputes every customer's stored aggregates, and Refit refits
	// predictedCLV's model, in a run with spec.incremental (`worker metrics
	// --full`, `--refit`); other runs ignore them.
	Full, Refit bool
}

// Progress reports how far a scan got.
type Progress struct {
	Stage string // "predictions", "features", "orders"
	Rows  int64
}

// ProgressEvery is how many rows pass between Progress calls.
const ProgressEvery = 100000

func (o *Options) defaults() {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = func(Progress) {}
	}
}
