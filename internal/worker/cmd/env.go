package cmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/specmap"
	"github.com/retention-dev/retention-operator/internal/workerconfig"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// stateStoreURL is RETENTION_STATE_STORE (default workload.DefaultState) with
// a sqlite: path mapped through workload.Path, because the controller writes
// the container path (sqlite:/var/lib/retention/state/state.db) and a local
// run keeps that file under RETENTION_LOCAL_ROOT. PostgreSQL URLs pass
// unchanged. In a local run the directory of the SQLite file is created (in
// a pod it is the state emptyDir, which always exists).
func stateStoreURL() (string, error) {
	url := os.Getenv(workerconfig.EnvStateStore)
	if url == "" {
		url = workload.DefaultState
	}
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		return url, nil
	}
	path := strings.TrimPrefix(url, "sqlite:")
	if path == ":memory:" || path == "" {
		return url, nil // store.Open explains an empty path
	}
	path = workload.Path(path)
	if os.Getenv(workload.LocalRootEnv) != "" {
		file, _, _ := strings.Cut(path, "?")
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return "", fmt.Errorf("%s: state directory: %w", workerconfig.EnvStateStore, err)
		}
	}
	return "sqlite:" + path, nil
}

// openSource connects to a worker's data source. The PostgreSQL DSN comes
// from RETENTION_DATASOURCE_DSN (the controller sets it from the
// DataSource's Secret); file sources from a ConfigMap are read under
// workload.Path(workload.DataDir) (specmap.DataSource).
func openSource(ctx context.Context, spec v1alpha1.DataSourceSpec) (datasource.Connector, error) {
	cfg, err := specmap.DataSource(spec, os.Getenv(workerconfig.EnvDataSourceDSN))
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
