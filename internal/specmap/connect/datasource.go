package connect

import (
	"fmt"
	"path/filepath"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// DataSource converts a DataSource spec into the connector configuration a
// worker opens. dsn is the PostgreSQL connection string the controller passes
// through RETENTION_DATASOURCE_DSN (from spec.postgres.dsnSecretRef); it is
// ignored for SQLite and file sources. A file source mounted from a ConfigMap
// lives at workload.DataDir: a directory for CSV/NDJSON, and for a
// transaction log the single key named in configMapRef.keys.
func DataSource(spec v1alpha1.DataSourceSpec, dsn string) (datasource.Config, error) {
	switch {
	case spec.Postgres != nil:
		if dsn == "" {
			return datasource.Config{}, fmt.Errorf("spec.postgres: no DSN; set RETENTION_DATASOURCE_DSN from the Secret %s key %s",
				spec.Postgres.DSNSecretRef.Name, spec.Postgres.DSNSecretRef.Key)
		}
		return datasource.Config{Kind: datasource.KindPostgres, DSN: dsn, Queries: queries(spec.Postgres.Queries)}, nil
	case spec.SQLite != nil:
		if spec.SQLite.Path == "" {
			return datasource.Config{}, fmt.Errorf("spec.sqlite.path is empty; set it to the database file mounted in the pod")
		}
		return datasource.Config{Kind: datasource.KindSQLite, Path: spec.SQLite.Path, Queries: queries(spec.SQLite.Queries)}, nil
	case spec.File != nil:
		return fileSource(spec.File)
	}
	return datasource.Config{}, fmt.Errorf("data source spec sets none of postgres, sqlite or file; set exactly one")
}

func fileSource(f *v1alpha1.FileSource) (datasource.Config, error) {
	cfg := datasource.Config{Kind: datasource.KindFile}
	switch f.Format {
	case v1alpha1.FileFormatCSV:
		cfg.Format = datasource.FormatCSV
	case v1alpha1.FileFormatNDJSON:
		cfg.Format = datasource.FormatNDJSON
	case v1alpha1.FileFormatTransactions:
		cfg.Format = datasource.FormatTransactions
	default:
		return cfg, fmt.Errorf("spec.file.format %q is not one of CSV, NDJSON, Transactions", f.Format)
	}
	switch {
	case f.Path != "" && f.ConfigMapRef != nil:
		return cfg, fmt.Errorf("spec.file sets both path and configMapRef; set exactly one")
	case f.Path != "":
		cfg.Path = f.Path
	case f.ConfigMapRef != nil:
		// workload.Path: a local run has no kubelet to mount the ConfigMap and
		// puts the files under $RETENTION_LOCAL_ROOT instead.
		cfg.Path = workload.Path(workload.DataDir)
		if cfg.Format == datasource.FormatTransactions {
			// A transaction log is one file: the ConfigMap key that holds it.
			if len(f.ConfigMapRef.Keys) != 1 {
				return cfg, fmt.Errorf("spec.file.configMapRef.keys: a Transactions source needs exactly one key (the log file), got %d", len(f.ConfigMapRef.Keys))
			}
			cfg.Path = filepath.Join(workload.Path(workload.DataDir), f.ConfigMapRef.Keys[0])
		}
	default:
		return cfg, fmt.Errorf("spec.file needs path or configMapRef")
	}
	if c := f.Columns; c != nil {
		cfg.Columns = datasource.ColumnMapping{CustomerID: c.CustomerID, Timestamp: c.Timestamp,
			TimestampLayout: c.TimestampLayout, Amount: c.Amount, OrderID: c.OrderID}
	}
	return cfg, nil
}

func queries(q *v1alpha1.SourceQueries) datasource.Queries {
	if q == nil {
		return datasource.Queries{}
	}
	return datasource.Queries{Customers: q.Customers, Orders: q.Orders, Events: q.Events, Feedback: q.Feedback}
}
