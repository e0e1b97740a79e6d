package specmap

import (
	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
)

// DataSource converts a DataSource spec into what a worker connects with.
// The PostgreSQL DSN stays in its Secret (the worker reads it from
// contract.EnvDataSourceDSN); a file source mounted from a ConfigMap is
// Mounted, its Path relative to the data mount: the directory itself for
// CSV/NDJSON, and for a transaction log the single key named in
// configMapRef.keys.
func DataSource(namespace, name string, spec *v1alpha1.DataSourceSpec) (contract.DataSource, error) {
	// The spec's own mistakes first, with the check the controller runs.
	if err := checkDataSource(spec); err != nil {
		return contract.DataSource{}, err
	}
	out := contract.DataSource{IngestSource: contract.IngestSource(namespace, name), Ingest: spec.Ingest != nil}
	switch {
	case spec.Postgres != nil:
		ref := spec.Postgres.DSNSecretRef
		out.Config = sourceconfig.Config{Kind: sourceconfig.KindPostgres, Queries: queries(spec.Postgres.Queries)}
		out.DSNSecret = &contract.SecretKey{Name: ref.Name, Key: ref.Key}
	case spec.SQLite != nil:
		out.Config = sourceconfig.Config{Kind: sourceconfig.KindSQLite, Path: spec.SQLite.Path, Queries: queries(spec.SQLite.Queries)}
	default:
		out.Config, out.Mounted = fileSource(spec.File)
	}
	return out, nil
}

// fileFormats maps the CRD's file formats to the connector's.
var fileFormats = map[v1alpha1.FileFormat]sourceconfig.Format{
	v1alpha1.FileFormatCSV:          sourceconfig.FormatCSV,
	v1alpha1.FileFormatNDJSON:       sourceconfig.FormatNDJSON,
	v1alpha1.FileFormatTransactions: sourceconfig.FormatTransactions,
}

// fileSource maps a file source checkDataSource accepted.
func fileSource(f *v1alpha1.FileSource) (cfg sourceconfig.Config, mounted bool) {
	cfg = sourceconfig.Config{Kind: sourceconfig.KindFile, Format: fileFormats[f.Format], Path: f.Path}
	if f.ConfigMapRef != nil {
		mounted, cfg.Path = true, "."
		if cfg.Format == sourceconfig.FormatTransactions {
			// A transaction log is one file: the ConfigMap key that holds it.
			cfg.Path = f.ConfigMapRef.Keys[0]
		}
	}
	if c := f.Columns; c != nil {
		cfg.Columns = sourceconfig.ColumnMapping{CustomerID: c.CustomerID, Timestamp: c.Timestamp,
			TimestampLayout: c.TimestampLayout, Amount: c.Amount, OrderID: c.OrderID}
	}
	return cfg, mounted
}

func queries(q *v1alpha1.SourceQueries) sourceconfig.Queries {
	if q == nil {
		return sourceconfig.Queries{}
	}
	return sourceconfig.Queries{Customers: q.Customers, Orders: q.Orders, Events: q.Events, Feedback: q.Feedback}
}
