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
	// MaxConns caps open PostgreSQL connections (default 16) so that a burst of
	// requests queues in the pool instead of exhausting PostgreSQL's slots.
	MaxConns int
	Source   Source
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
	Publish func(ctx context.Context, summary any) error
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
	if o.MaxConns <= 0 {
		o.MaxConns = 16
	}
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
		db.SetMaxOpenConns(o.MaxConns)
	}
	p, err := store.OpenPoints(ctx, db, &o.Program)
	if err != nil {
		closeDB()
		return nil, nil, err
	}
	return p, closeDB, nil
}
