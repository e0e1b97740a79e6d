package cmd

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/redact"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/worker/campaign"
)

// ingestedSource adds the events the DataSource's ingestion API stored in
// the state store to the data source's own events, so a Playbook's event
// trigger (`trigger: {event: {type: cart_updated}}`) and event goals fire on
// ingested track events exactly as on rows of the events table.
type ingestedSource struct {
	campaign.Source
	db     *store.DB
	source string
	// traits: the DataSource has spec.ingest, so identify traits apply.
	traits bool
}

// ScanFeatures lays the ingested identify traits over the data source's
// rows (store.Traits.Apply), as the metric job does, so the rows the worker
// re-reads at send time keep the identified consent, address and attributes.
func (s ingestedSource) ScanFeatures(ctx context.Context, q datasource.FeatureQuery, fn func(*customer.Features) error) error {
	if !s.traits {
		return s.Source.ScanFeatures(ctx, q, fn)
	}
	traits := map[string]*store.Traits{}
	if err := s.db.IngestedTraits(ctx, s.source, func(t *store.Traits) error {
		c := *t
		traits[c.CustomerID] = &c
		return nil
	}); err != nil {
		return err
	}
	return s.Source.ScanFeatures(ctx, q, func(f *customer.Features) error {
		traits[f.ID].Apply(f)
		return fn(f)
	})
}

// ScanEvents reads the data source's events, then the ingested ones.
func (s ingestedSource) ScanEvents(ctx context.Context, since time.Time, fn func(*customer.Event) error) error {
	if err := s.Source.ScanEvents(ctx, since, fn); err != nil {
		return err
	}
	return s.db.ScanIngestedEvents(ctx, s.source, since, fn)
}

// ScanRecentEvents is campaign.RecentEventsSource: the ingested events
// received since storedSince (zero: all), and with others the data source's
// own events (a woken tick leaves them to the next poll, as they have no
// notification).
func (s ingestedSource) ScanRecentEvents(ctx context.Context, since, storedSince time.Time, others bool,
	fn func(*customer.Event) error) (time.Time, error) {
	if others {
		if err := s.Source.ScanEvents(ctx, since, fn); err != nil {
			return time.Time{}, err
		}
	}
	return s.db.ScanIngestedEventsReceived(ctx, s.source, since, storedSince, fn)
}

// withIngestedEvents wraps src when the playbook reads events at all (an
// event trigger or goal) or its DataSource has spec.ingest (traits); the
// tables are created if no ingestion API has
// run yet, so the read finds them empty rather than missing.
func withIngestedEvents(ctx context.Context, spec *contract.Playbook, src campaign.Source, url string) (campaign.Source, func(), error) {
	readsEvents := spec.Journey.Trigger.Event != nil || spec.Journey.Goal != nil || waitsForEvents(spec)
	traits := spec.Segment.DataSource.Ingest
	if !readsEvents && !traits {
		return src, func() {}, nil
	}
	db, err := store.Open(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	if err := db.MigrateIngest(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	return ingestedSource{Source: src, db: db, source: spec.Segment.DataSource.IngestSource, traits: traits}, func() { db.Close() }, nil
}

// waitsForEvents reports whether a step of the playbook is a waitFor: its
// awaited event may arrive through the ingestion API.
func waitsForEvents(spec *contract.Playbook) bool {
	for i := range spec.Journey.Steps {
		if spec.Journey.Steps[i].WaitFor != nil {
			return true
		}
	}
	return false
}

// listenBackoff is the pause before reconnecting a failed listener (the
// worker polls meanwhile); wakeGap the least time between woken ticks. A
// woken tick reads only the events stored since the last read
// (campaign.RecentEventsSource), so its cost follows the new events, not
// the overlap window; the gap bounds only a tick's fixed cost under a
// steady stream (hack/bench-event-to-send.sh: 500 ms held the p99 above 2 s).
const (
	listenBackoff = 5 * time.Second
	wakeGap       = 100 * time.Millisecond
)

// ingestWake returns a channel signalled when the ingestion API commits new
// events of the playbook's DataSource (PostgreSQL LISTEN/NOTIFY), for an
// event-triggered or event-awaiting (waitFor) playbook over a PostgreSQL state store; nil otherwise (the
// worker then polls only). The listener reconnects until ctx ends.
func ingestWake(ctx context.Context, spec *contract.Playbook, url string, logger *slog.Logger) <-chan struct{} {
	if (spec.Journey.Trigger.Event == nil && !waitsForEvents(spec)) || !(strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")) {
		return nil
	}
	notified, wake := make(chan struct{}, 1), make(chan struct{}, 1)
	source := spec.Segment.DataSource.IngestSource
	// Under a steady stream every commit notifies; woken ticks are spaced
	// by wakeGap at least.
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-notified:
			}
			select {
			case wake <- struct{}{}:
			default:
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wakeGap):
			}
		}
	}()
	go func() {
		for ctx.Err() == nil {
			if err := store.ListenIngested(ctx, url, source, notified); err != nil {
				logger.Warn("listening for ingested events failed; polling until it reconnects", "err", redact.Error(err, url))
			}
			select {
			case <-ctx.Done():
			case <-time.After(listenBackoff):
			}
		}
	}()
	return wake
}
