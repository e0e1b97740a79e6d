package cmd

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/worker/metrics"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// stateStoreURL is metrics.StateStoreURL: every worker reads the state
// store from the environment under the same rules.
func stateStoreURL() (string, error) { return metrics.StateStoreURL() }

// openStateStore opens the state store the environment names (the servers
// that write only to it: feedback, ingest, preferences).
func openStateStore(ctx context.Context) (*store.DB, error) {
	url, err := stateStoreURL()
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, url)
}

// openSource connects to a worker's data source as metrics.SourceFromEnv
// configures it (the DSN from the environment, paths confined to the data
// mount).
func openSource(ctx context.Context, spec v1alpha1.DataSourceSpec) (datasource.Connector, error) {
	cfg, err := metrics.SourceFromEnv(spec)
	if err != nil {
		return nil, fmt.Errorf("data source: %w", err)
	}
	conn, err := datasource.Open(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("data source: %w", err)
	}
	return conn, nil
}

// secretsDir is where the controller mounted a Secret for this worker
// (workload.SecretsDir/<parts...>), as seen by this process.
func secretsDir(parts ...string) string {
	return workload.Path(filepath.Join(append([]string{workload.SecretsDir}, parts...)...))
}
