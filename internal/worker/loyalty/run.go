package loyalty

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Run serves the loyalty API and ingests the order/event stream every
// PollInterval until ctx ends: apply new rows, expire, re-evaluate tiers,
// refresh the summary gauges. It returns nil on a clean shutdown.
func Run(ctx context.Context, o Options) error {
	p, closeDB, err := o.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	api, err := NewAPI(p, &o.Program, o.Now, o.TokenFile, o.AdminTokenFile, o.Registry)
	if err != nil {
		return err
	}
	api.log = o.Logger
	api.gate = newFIFOGate(o.Pool.MaxOpen)
	gauges := newSummaryGauges(o.Registry)
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	o.Logger.Info("loyalty API listening", "addr", ln.Addr().String())

	tick := time.NewTicker(o.PollInterval)
	defer tick.Stop()
	for {
		if o.Source != nil {
			st, err := IngestOnce(ctx, p, o.Source, o.IngestOverlap, o.Now())
			if err != nil && ctx.Err() == nil {
				o.Logger.Error("loyalty ingest pass failed; retrying next interval", "err", err)
			} else if err == nil {
				o.Logger.Info("loyalty ingest pass", "orders", st.Orders, "events", st.Events,
					"applied", st.Applied, "duplicates", st.Duplicates, "ignored", st.Ignored, "refused", st.Refused)
			}
		}
		if s, err := Summarize(ctx, p, &o.Program, nil, o.MetricsWindow, o.Now()); err == nil {
			gauges.set(s)
		}
		select {
		case <-ctx.Done():
			shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return srv.Shutdown(shutdown)
		case err := <-serveErr:
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return err
		case <-tick.C:
		}
	}
}

// RunMetrics computes the program summary once (as a CronJob does): run the
// time-driven maintenance, aggregate, export gauges to o.Registry, and hand
// the summary to o.Publish.
func RunMetrics(ctx context.Context, o Options) (Summary, error) {
	p, closeDB, err := o.open(ctx)
	if err != nil {
		return Summary{}, err
	}
	defer closeDB()
	now := o.Now()
	if _, err := p.Maintain(ctx, now); err != nil {
		return Summary{}, err
	}
	s, err := Summarize(ctx, p, &o.Program, o.Source, o.MetricsWindow, now)
	if err != nil {
		return s, err
	}
	newSummaryGauges(o.Registry).set(s)
	if o.Publish != nil {
		if err := o.Publish(ctx, s); err != nil {
			return s, err
		}
	}
	return s, nil
}
