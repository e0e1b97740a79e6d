package connect

import (
	"fmt"
	"path/filepath"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/specmap"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// DataSource converts a DataSource spec into the connector configuration a
// worker opens. dsn is the PostgreSQL connection string the controller passes
// through RETENTION_DATASOURCE_DSN (from spec.postgres.dsnSecretRef); it is
// ignored for SQLite and file sources. A file source mounted from a ConfigMap
// lives at workload.DataDir: a directory for CSV/NDJSON, and for a
// transaction log the single key named in configMapRef.keys.
func DataSource(spec v1alpha1.DataSourceSpec, dsn string) (datasource.Config, error) {
	// The spec's own mistakes first, with the check the controller runs.
	if err := specmap.CheckDataSource(&spec); err != nil {
		return datasource.Config{}, err
	}
	switch {
	case spec.Postgres != nil:
		if dsn == "" {
			return datasource.Config{}, fmt.Errorf("spec.postgres: no DSN; set RETENTION_DATASOURCE_DSN from the Secret %s key %s",
				spec.Postgres.DSNSecretRef.Name, spec.Postgres.DSNSecretRef.Key)
		}
		return datasource.Config{Kind: datasource.KindPostgres, DSN: dsn, Queries: queries(spec.Postgres.Queries)}, nil
	case spec.SQLite != nil:
		return datasource.Config{Kind: datasource.KindSQLite, Path: spec.SQLite.Path, Queries: queries(spec.SQLite.Queries)}, nil
	}
	return fileSource(spec.File), nil
}

// fileFormats maps the CRD's file formats to the connector's.
var fileFormats = map[v1alpha1.FileFormat]datasource.Format{
	v1alpha1.FileFormatCSV:          datasource.FormatCSV,
	v1alpha1.FileFormatNDJSON:       datasource.FormatNDJSON,
	v1alpha1.FileFormatTransactions: datasource.FormatTransactions,
}

// fileSource maps a file source specmap.CheckDataSource accepted.
func fileSource(f *v1alpha1.FileSource) datasource.Config {
	cfg := datasource.Config{Kind: datasource.KindFile, Format: fileFormats[f.Format], Path: f.Path}
	if f.ConfigMapRef != nil {
		// workload.Path: a local run has no kubelet to mount the ConfigMap and
		// puts the files under $RETENTION_LOCAL_ROOT instead.
		cfg.Path = workload.Path(workload.DataDir)
		if cfg.Format == datasource.FormatTransactions {
			// A transaction log is one file: the ConfigMap key that holds it.
			cfg.Path = filepath.Join(cfg.Path, f.ConfigMapRef.Keys[0])
		}
	}
	if c := f.Columns; c != nil {
		cfg.Columns = datasource.ColumnMapping{CustomerID: c.CustomerID, Timestamp: c.Timestamp,
			TimestampLayout: c.TimestampLayout, Amount: c.Amount, OrderID: c.OrderID}
	}
	return cfg
}

func queries(q *v1alpha1.SourceQueries) datasource.Queries {
	if q == nil {
		return datasource.Queries{}
	}
	return datasource.Queries{Customers: q.Customers, Orders: q.Orders, Events: q.Events, Feedback: q.Feedback}
}
