package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPreviewPostgres previews the fixture's customers from PostgreSQL
// (the default tables, filled with the same six customers as the CSV
// files) and expects the same figures and samples as from the files.
func TestPreviewPostgres(t *testing.T) {
	url := postgresShop(t, false, previewShopCSV())
	dir := previewFixture(t, "0")
	if err := os.WriteFile(filepath.Join(dir, "datasource.yaml"), []byte(`apiVersion: retention.dev/v1alpha1
kind: DataSource
metadata: {name: files, namespace: shop}
spec:
  postgres:
    dsnSecretRef: {name: shop-db, key: dsn}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"preview", "-f", filepath.Join(dir, "playbook.yaml"), "--segment", filepath.Join(dir, "segment.yaml"),
		"--datasource", filepath.Join(dir, "datasource.yaml"), "--channels", filepath.Join(dir, "channels.yaml"),
		"--as-of", "2025-12-01", "--sample", "2", "-o", "json"}
	if _, _, err := runCLI(t, args...); err == nil || !strings.Contains(err.Error(), "--dsn") {
		t.Errorf("without --dsn: %v", err)
	}
	out, _, err := runCLI(t, append(args, "--dsn", url)...)
	var r previewResult
	decodeOutput(t, out, err, &r)
	if r.Scanned != 6 || r.Audience != 4 || r.Treatment != 4 || r.ConsentSuppressed != 1 || r.Steps[0].WouldSend != 3 {
		t.Errorf("scanned %d audience %d treatment %d suppressed %d would send %d; want 6 4 4 1 3",
			r.Scanned, r.Audience, r.Treatment, r.ConsentSuppressed, r.Steps[0].WouldSend)
	}
	if len(r.Samples) != 2 || r.Samples[0].CustomerID != "a1" || r.Samples[0].Body != "Hi a*******@s***.example, you ordered 3 times" ||
		r.Samples[1].CustomerID != "a4" {
		t.Errorf("samples %+v", r.Samples)
	}
}
