package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/worker/loyalty"
)

// loyaltyCommand is the LoyaltyProgram Deployment: the member API on
// --listen (the pod's port "http", probed on /readyz, Prometheus on /metrics)
// plus the ingest loop, until SIGTERM.
func loyaltyCommand(g *globals) *cobra.Command {
	var listen string
	var pool loyalty.Pool
	c := noArgsCommand("loyalty", "Loyalty program: member HTTP API, /metrics, and points ingest from the data source", func(ctx context.Context) error {
		o, closeSrc, err := loyaltyOptions(ctx, g)
		if err != nil {
			return err
		}
		defer closeSrc()
		o.Listen = listen
		o.Pool = pool
		return loyalty.Run(ctx, o)
	})
	c.Flags().StringVar(&listen, "listen", ":8080", "address of the HTTP API (the pod's port named http)")
	c.Flags().IntVar(&pool.MaxOpen, "db-max-open-conns", loyalty.DefaultPoolSize,
		"most PostgreSQL connections the API opens; requests beyond them queue, first come, first served")
	c.Flags().IntVar(&pool.MaxIdle, "db-max-idle-conns", 0,
		"PostgreSQL connections kept open while idle (0: as many as --db-max-open-conns, so a busy API never reconnects)")
	c.Flags().DurationVar(&pool.MaxIdleTime, "db-conn-max-idle-time", 0,
		"close a PostgreSQL connection idle this long (0: never)")
	return c
}

// loyaltyMetricsCommand is the LoyaltyProgram CronJob: expiry and tier
// maintenance, then the aggregates published as a report.Loyalty.
func loyaltyMetricsCommand(g *globals) *cobra.Command {
	return noArgsCommand("loyalty-metrics", "Loyalty program job: expire points, re-evaluate tiers, publish the program summary", func(ctx context.Context) error {
		pub, err := report.FromEnv()
		if err != nil {
			return err
		}
		o, closeSrc, err := loyaltyOptions(ctx, g)
		if err != nil {
			return err
		}
		defer closeSrc()
		// A failed run publishes nothing: the controller copies the report
		// into status field by field, and an empty report would zero the
		// last good figures. The failure shows as the Job's.
		o.Publish = func(ctx context.Context, s loyalty.Summary) error {
			return pub.Publish(ctx, loyaltyReport(s))
		}
		db, err := ingestOnce(ctx, &o, g)
		if err != nil {
			return err
		}
		defer db.Close()
		o.DB = db
		s, err := loyalty.RunMetrics(ctx, o)
		if err != nil {
			return err
		}
		g.logger.Info("loyalty summary published", "members", s.Members, "pointsOutstanding", s.PointsOutstanding,
			"redemptionRate", s.RedemptionRate)
		return nil
	})
}

// ingestOverlap is how far before its cursor an ingest pass re-reads
// (the loyalty worker's default): late rows are caught, replays are no-ops.
const ingestOverlap = 24 * time.Hour

// ingestOnce opens the ledger and applies the data source's new orders and
// events before the job summarises. The job must not depend on the API
// Deployment's ingest: with the default SQLite state store each pod has its
// own ledger, and even with a shared PostgreSQL store the summary would lag
// the data by up to one poll interval. Ingest is idempotent per source row,
// so running it here as well never credits twice.
func ingestOnce(ctx context.Context, o *loyalty.Options, g *globals) (*store.DB, error) {
	db, err := store.Open(ctx, o.StateURL)
	if err != nil {
		return nil, err
	}
	p, err := store.OpenPoints(ctx, db, &o.Program)
	if err != nil {
		db.Close()
		return nil, err
	}
	st, err := loyalty.IngestOnce(ctx, p, o.Source, ingestOverlap, time.Now())
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("loyalty ingest: %w", err)
	}
	g.logger.Info("loyalty ingest pass", "orders", st.Orders, "events", st.Events, "applied", st.Applied,
		"duplicates", st.Duplicates, "ignored", st.Ignored, "refused", st.Refused)
	return db, nil
}

// loyaltyOptions reads the spec and the environment into the runner's
// Options; closeSrc closes the data source connection.
func loyaltyOptions(ctx context.Context, g *globals) (o loyalty.Options, closeSrc func(), err error) {
	var spec contract.Loyalty
	if err := contract.Load(g.specPath(), &spec); err != nil {
		return o, nil, err
	}
	url, err := g.stateStoreURL()
	if err != nil {
		return o, nil, err
	}
	src, err := g.openSource(ctx, spec.DataSource)
	if err != nil {
		return o, nil, err
	}
	if src, err = withoutErased(ctx, src, url); err != nil {
		return o, nil, err
	}
	token, admin := loyaltyTokenFiles(&spec, g.paths)
	o = loyalty.Options{
		Program:        spec.Program,
		StateURL:       url,
		Source:         src,
		TokenFile:      token,
		AdminTokenFile: admin,
		Logger:         g.logger,
	}
	return o, func() { src.Close() }, nil
}
