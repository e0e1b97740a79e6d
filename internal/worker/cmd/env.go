package cmd

import (
	"context"
	"fmt"

	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/worker/metrics"
)

// stateStoreURL is metrics.StateStoreURL: every worker reads the state
// store from the environment under the same rules.
func (g *globals) stateStoreURL() (string, error) { return metrics.StateStoreURL(g.paths) }

// openStateStore opens the state store the environment names (the servers
// that write only to it: feedback, ingest, preferences).
func (g *globals) openStateStore(ctx context.Context) (*store.DB, error) {
	url, err := g.stateStoreURL()
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, url)
}

// openSource connects to a worker's data source as metrics.Source
// configures it (the DSN from the environment, paths confined to the data
// mount).
func (g *globals) openSource(ctx context.Context, ds contract.DataSource) (datasource.Connector, error) {
	cfg, err := metrics.Source(ds, g.paths)
	if err != nil {
		return nil, fmt.Errorf("data source: %w", err)
	}
	conn, err := datasource.Open(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("data source: %w", err)
	}
	return conn, nil
}
