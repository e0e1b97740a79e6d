package connect

import (
	"reflect"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/datasource"
)

func TestDataSource(t *testing.T) {
	secret := v1alpha1.SecretKeySelector{Name: "shop-db", Key: "dsn"}
	tests := []struct {
		name    string
		spec    v1alpha1.DataSourceSpec
		dsn     string
		want    datasource.Config
		wantErr string
	}{
		{name: "postgres with queries",
			spec: v1alpha1.DataSourceSpec{Postgres: &v1alpha1.PostgresSource{DSNSecretRef: secret,
				Queries: &v1alpha1.SourceQueries{Orders: "SELECT * FROM shop.orders"}}},
			dsn:  "postgres://u@db:5432/shop",
			want: datasource.Config{Kind: datasource.KindPostgres, DSN: "postgres://u@db:5432/shop", Queries: datasource.Queries{Orders: "SELECT * FROM shop.orders"}}},
		{name: "postgres without dsn names the secret",
			spec:    v1alpha1.DataSourceSpec{Postgres: &v1alpha1.PostgresSource{DSNSecretRef: secret}},
			wantErr: "RETENTION_DATASOURCE_DSN from the Secret shop-db key dsn"},
		{name: "sqlite",
			spec: v1alpha1.DataSourceSpec{SQLite: &v1alpha1.SQLiteSource{Path: "/data/shop.db"}},
			want: datasource.Config{Kind: datasource.KindSQLite, Path: "/data/shop.db"}},
		{name: "csv directory",
			spec: v1alpha1.DataSourceSpec{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatCSV, Path: "/data/shop"}},
			want: datasource.Config{Kind: datasource.KindFile, Format: datasource.FormatCSV, Path: "/data/shop"}},
		{name: "ndjson from configmap is the data dir",
			spec: v1alpha1.DataSourceSpec{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatNDJSON,
				ConfigMapRef: &v1alpha1.ConfigMapFiles{Name: "demo", Keys: []string{"customers.ndjson", "orders.ndjson"}}}},
			want: datasource.Config{Kind: datasource.KindFile, Format: datasource.FormatNDJSON, Path: "/var/lib/retention/data"}},
		{name: "transactions from configmap is its one key, columns mapped",
			spec: v1alpha1.DataSourceSpec{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatTransactions,
				ConfigMapRef: &v1alpha1.ConfigMapFiles{Name: "cdnow", Keys: []string{"CDNOW_sample.txt"}},
				Columns:      &v1alpha1.ColumnMapping{CustomerID: "2", Timestamp: "3", TimestampLayout: "20060102", Amount: "5"}}},
			want: datasource.Config{Kind: datasource.KindFile, Format: datasource.FormatTransactions,
				Path:    "/var/lib/retention/data/CDNOW_sample.txt",
				Columns: datasource.ColumnMapping{CustomerID: "2", Timestamp: "3", TimestampLayout: "20060102", Amount: "5"}}},
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
			got, err := DataSource(tt.spec, tt.dsn)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
