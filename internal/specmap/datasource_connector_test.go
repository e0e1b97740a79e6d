package specmap

import (
	"testing"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/workload"
)

func TestDataSource(t *testing.T) {
	secret := v1alpha1.SecretKeySelector{Name: "shop-db", Key: "dsn"}
	tests := []struct {
		name    string
		spec    v1alpha1.DataSourceSpec
		dsn     string
		want    sourceconfig.Config
		wantErr string
	}{
		{name: "postgres with queries",
			spec: v1alpha1.DataSourceSpec{Postgres: &v1alpha1.PostgresSource{DSNSecretRef: secret,
				Queries: &v1alpha1.SourceQueries{Orders: "SELECT * FROM shop.orders"}}},
			dsn:  "postgres://u@db:5432/shop",
			want: sourceconfig.Config{Kind: sourceconfig.KindPostgres, DSN: "postgres://u@db:5432/shop", Queries: sourceconfig.Queries{Orders: "SELECT * FROM shop.orders"}}},
		{name: "postgres without dsn names the secret",
			spec:    v1alpha1.DataSourceSpec{Postgres: &v1alpha1.PostgresSource{DSNSecretRef: secret}},
			wantErr: "RETENTION_DATASOURCE_DSN from the Secret shop-db key dsn"},
		{name: "sqlite",
			spec: v1alpha1.DataSourceSpec{SQLite: &v1alpha1.SQLiteSource{Path: "/data/shop.db"}},
			want: sourceconfig.Config{Kind: sourceconfig.KindSQLite, Path: "/data/shop.db"}},
		{name: "csv directory",
			spec: v1alpha1.DataSourceSpec{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatCSV, Path: "/data/shop"}},
			want: sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatCSV, Path: "/data/shop"}},
		{name: "ndjson from configmap is the data dir",
			spec: v1alpha1.DataSourceSpec{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatNDJSON,
				ConfigMapRef: &v1alpha1.ConfigMapFiles{Name: "demo", Keys: []string{"customers.ndjson", "orders.ndjson"}}}},
			want: sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatNDJSON, Path: "/var/lib/retention/data"}},
		{name: "transactions from configmap is its one key, columns mapped",
			spec: v1alpha1.DataSourceSpec{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatTransactions,
				ConfigMapRef: &v1alpha1.ConfigMapFiles{Name: "cdnow", Keys: []string{"CDNOW_sample.txt"}},
				Columns:      &v1alpha1.ColumnMapping{CustomerID: "2", Timestamp: "3", TimestampLayout: "20060102", Amount: "5"}}},
			want: sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatTransactions,
				Path:    "/var/lib/retention/data/CDNOW_sample.txt",
				Columns: sourceconfig.ColumnMapping{CustomerID: "2", Timestamp: "3", TimestampLayout: "20060102", Amount: "5"}}},
		{name: "transactions from configmap with two keys",
			spec: v1alpha1.DataSourceSpec{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatTransactions,
				ConfigMapRef: &v1alpha1.ConfigMapFiles{Name: "cdnow", Keys: []string{"a.txt", "b.txt"}}}},
			wantErr: "spec.file.configMapRef.keys: a Transactions source needs exactly one key"},
		{name: "unknown format",
			spec:    v1alpha1.DataSourceSpec{File: &v1alpha1.FileSource{Format: "XML", Path: "/x"}},
			wantErr: `spec.file.format "XML"`},
		{name: "nothing set",
			spec:    v1alpha1.DataSourceSpec{},
			wantErr: "sets none of postgres, sqlite or file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Mapped as the controller does, connected as the worker does.
			got, err := connector(&tt.spec, tt.dsn)
			expectMapped(t, got, err, tt.want, tt.wantErr)
		})
	}
}

// connector maps spec as the controller renders it and fills in what the
// pod holds as a worker does (the DSN, the data mount).
func connector(spec *v1alpha1.DataSourceSpec, dsn string) (sourceconfig.Config, error) {
	ds, err := DataSource("shop", "db", spec)
	if err != nil {
		return sourceconfig.Config{}, err
	}
	return ds.Connector(workload.DataDir, dsn)
}
