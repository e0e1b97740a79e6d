package specmap

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// TestDataSourceLocalRoot: a ConfigMap-mounted file source moves under
// the local run's root, where no kubelet mounts it.
func TestDataSourceLocalRoot(t *testing.T) {
	root := t.TempDir()
	paths := workload.Paths{Root: root}
	tests := []struct {
		name string
		spec v1alpha1.FileSource
		want string
	}{
		{name: "csv directory",
			spec: v1alpha1.FileSource{Format: v1alpha1.FileFormatCSV, ConfigMapRef: &v1alpha1.ConfigMapFiles{Name: "d", Keys: []string{"orders.csv"}}},
			want: filepath.Join(root, "/var/lib/retention/data")},
		{name: "transaction log",
			spec: v1alpha1.FileSource{Format: v1alpha1.FileFormatTransactions, ConfigMapRef: &v1alpha1.ConfigMapFiles{Name: "d", Keys: []string{"log.txt"}}},
			want: filepath.Join(root, "/var/lib/retention/data/log.txt")},
		{name: "explicit path is the user's and stays",
			spec: v1alpha1.FileSource{Format: v1alpha1.FileFormatCSV, Path: "/mnt/shop"},
			want: "/mnt/shop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, err := DataSource("shop", "files", &v1alpha1.DataSourceSpec{File: &tt.spec})
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := ds.Connector(paths.Data(), "")
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Path != tt.want {
				t.Errorf("path = %q, want %q", cfg.Path, tt.want)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
