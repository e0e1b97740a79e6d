// Package loyalty is the loyalty worker: it ingests orders and events from a
// data source into the points ledger (internal/store points*.go) with the
// rules of internal/loyalty, serves the member HTTP API, and computes the
// program metrics summary.
package loyalty

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/retention-dev/retention-operator/internal/customer"
	engine "github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/store"
)

// Source is the part of a datasource.Connector the worker reads: rows with
// occurred_at >= since.
type Source interface {
	ScanOrders(ctx context.Context, since time.Time, fn func(*customer.Order) error) error
	ScanEvents(ctx context.Context, since time.Time, fn func(*customer.Event) error) error
}

// Options configure Run and RunMetrics.
type Options struct {
	// Program is the LoyaltyProgram spec; Run and RunMetrics validate it.
	Program engine.Config
	// StateURL is the state store (store.Open syntax) unless DB is set.
	StateURL string
	DB       *store.DB
	// Pool sizes the PostgreSQL connection pool (SQLite keeps store.Open's).
	Pool   Pool
	Source Source
	// Listen is the HTTP address (default ":8080").
	Listen string
	// TokenFile holds the bearer token for the member API; AdminTokenFile the
	// token for adjustments and program-wide lists (empty: admin routes refuse).
	// When the files hold different tokens, the API token gets 403 on admin
	// routes; pointing both at one file makes the API token the admin token.
	TokenFile, AdminTokenFile string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// PollInterval is the pause between ingest passes (default 1m).
	PollInterval time.Duration
	// IngestOverlap re-reads this much before the cursor each pass so rows that
	// arrive late are not missed; replays are free (default 24h).
	IngestOverlap time.Duration
	// MetricsWindow is the window for the redemption rate and repeat-purchase
	// rates (default 365 days).
	MetricsWindow time.Duration
	// Publish hands the aggregates-only summary to the controller.
	Publish func(ctx context.Context, summary Summary) error
	// Registry receives the Prometheus collectors (default: a private registry
	// served on /metrics).
	Registry *prometheus.Registry
	Logger   *slog.Logger
}

func (o *Options) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Listen == "" {
		o.Listen = ":8080"
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Minute
	}
	if o.IngestOverlap <= 0 {
		o.IngestOverlap = 24 * time.Hour
	}
	if o.MetricsWindow <= 0 {
		o.MetricsWindow = 365 * 24 * time.Hour
	}
	o.Pool.defaults()
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// open validates the program and opens the ledger.
func (o *Options) open(ctx context.Context) (*store.Points, func(), error) {
	o.defaults()
	if err := o.Program.Validate(); err != nil {
		return nil, nil, err
	}
	db, closeDB := o.DB, func() {}
	if db == nil {
		var err error
		if db, err = store.Open(ctx, o.StateURL); err != nil {
			return nil, nil, err
		}
		closeDB = func() { db.Close() }
	}
	if db.Dialect == store.Postgres { // SQLite keeps store.Open's pool (":memory:" needs its single connection)
		o.Pool.apply(db)
	}
	p, err := store.OpenPoints(ctx, db, &o.Program)
	if err != nil {
		closeDB()
		return nil, nil, err
	}
	return p, closeDB, nil
}

// Pool is the PostgreSQL connection pool of the loyalty API.
//
// MaxIdle defaults to MaxOpen: database/sql keeps only 2 idle connections by
// default, so under load every connection beyond two was closed when it
// went idle and reopened for the next request; a shipped worker opened
// 230-568 new PostgreSQL sessions per 4,000 redemptions, and each session
// start (fork, auth, catalog cache, statement preparation) cost latency
// (p99 131-228 ms). With idle = open a busy worker opens at most MaxOpen
// sessions and reuses them. MaxOpen caps them so a burst queues in the API
// (first come, first served: fifoGate) instead of exhausting PostgreSQL's
// max_connections (100 by default), which other workers share. docs/cluster.md
// documents these settings for operators.
type Pool struct {
	MaxOpen int // default DefaultPoolSize
	MaxIdle int // default MaxOpen
	// MaxIdleTime closes a connection idle this long (0: never), for sites
	// whose PostgreSQL or pooler counts idle sessions.
	MaxIdleTime time.Duration
}

// DefaultPoolSize is the default MaxOpen (and so MaxIdle): enough to keep two
// cores and PostgreSQL's own workers busy while row-lock waits overlap.
const DefaultPoolSize = 16

func (p *Pool) defaults() {
	if p.MaxOpen <= 0 {
		p.MaxOpen = DefaultPoolSize
	}
	if p.MaxIdle <= 0 || p.MaxIdle > p.MaxOpen {
		p.MaxIdle = p.MaxOpen
	}
}

func (p Pool) apply(db *store.DB) {
	db.SetMaxOpenConns(p.MaxOpen)
	db.SetMaxIdleConns(p.MaxIdle)
	db.SetConnMaxIdleTime(p.MaxIdleTime)
}
