package datasource

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
)

// TestPathsStayInsideTheDataDirectory: with Root set (the worker sets the
// pod's data mount), a tenant's path cannot name another file of the pod:
// not /proc/self/environ (the Secret-fed environment), not a ".." escape,
// not a symlink out, not a table file that is a symlink out. The error names
// the setting and the configured path, and carries nothing of the target.
func TestPathsStayInsideTheDataDirectory(t *testing.T) {
	const planted = "ENV-PLANT-7c21"
	t.Setenv("RETENTION_TEST_PLANTED", planted)
	root := t.TempDir()
	outside := t.TempDir()
	writeFile(t, outside, "orders.csv", "customer_id,order_id,amount,occurred_at\nc1,o1,"+planted+",2024-01-02\n")
	secretLog := writeFile(t, outside, "log.txt", planted+" 20240101 5\n")
	if err := os.Symlink(outside, filepath.Join(root, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secretLog, filepath.Join(root, "log-link.txt")); err != nil {
		t.Fatal(err)
	}
	viaTable := filepath.Join(root, "shop")
	if err := os.Mkdir(viaTable, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "orders.csv"), filepath.Join(viaTable, "orders.csv")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		cfg    sourceconfig.Config
		wantIn string
	}{
		{"proc environ", sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatTransactions, Path: "/proc/self/environ", Root: root}, "is under /proc"},
		{"proc environ without a root", sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatTransactions, Path: "/proc/self/environ"}, "is under /proc"},
		{"dot-dot", sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatCSV, Path: root + "/../" + filepath.Base(outside), Root: root}, `contains ".."`},
		{"relative dot-dot", sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatCSV, Path: "../x", Root: root}, `contains ".."`},
		{"absolute outside", sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatCSV, Path: outside, Root: root}, "is outside the data directory"},
		{"symlinked directory", sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatCSV, Path: "escape", Root: root}, "is outside the data directory"},
		{"symlinked log", sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatTransactions, Path: "log-link.txt", Root: root}, "is outside the data directory"},
		{"sqlite outside", sourceconfig.Config{Kind: sourceconfig.KindSQLite, Path: secretLog, Root: root}, "is outside the data directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(context.Background(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantIn) {
				t.Fatalf("Open error = %v, want it to contain %q", err, tt.wantIn)
			}
			if strings.Contains(err.Error(), planted) || strings.Contains(err.Error(), outside) && !strings.Contains(tt.cfg.Path, outside) {
				t.Errorf("error reveals the target: %v", err)
			}
		})
	}

	// A directory inside the root whose table file links out: the scan
	// refuses the table, naming it.
	c := mustOpen(t, sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatCSV, Path: "shop", Root: root})
	_, err := countOrders(c)
	if err == nil || !strings.Contains(err.Error(), "orders.csv") || !strings.Contains(err.Error(), "outside the data directory") ||
		strings.Contains(err.Error(), planted) {
		t.Errorf("scan error = %v, want orders.csv refused as outside the data directory", err)
	}

	// Inside the root, relative and absolute paths (and the ConfigMap's
	// ..data symlink layout) work.
	data := filepath.Join(root, "..2026_01_01")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, data, "orders.csv", "customer_id,order_id,amount,occurred_at\nc1,o1,5,2024-01-02\n")
	if err := os.Symlink("..2026_01_01", filepath.Join(root, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..data/orders.csv", filepath.Join(root, "orders.csv")); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{root, "."} {
		c := mustOpen(t, sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatCSV, Path: path, Root: root})
		if n, err := countOrders(c); err != nil || n != 1 {
			t.Errorf("path %q: %d orders, err %v; want 1 order", path, n, err)
		}
	}
}
