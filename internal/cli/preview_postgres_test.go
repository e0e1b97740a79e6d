package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/store/sqldb"
)

// TestPreviewPostgres previews the fixture's customers from PostgreSQL
// (the default tables, filled with the same six customers as the CSV
// files) and expects the same figures and samples as from the files.
func TestPreviewPostgres(t *testing.T) {
	ctx := context.Background()
	url := sqldb.TestSchemaDSN(t)
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := datasource.CreateTables(ctx, db.DB, false); err != nil {
		t.Fatal(err)
	}
	for i, consent := range []bool{true, false, true, true, true, true} {
		id := fmt.Sprintf("a%d", i+1)
		email := id + "@shop.example"
		if id == "a1" {
			email = "a1.jones@shop.example"
		}
		if _, err := db.Exec(ctx, `INSERT INTO customers (id, email, timezone, created_at, consent_email) VALUES ($1, $2, 'Europe/Berlin', '2025-01-01T00:00:00Z', $3)`,
			id, email, consent); err != nil {
			t.Fatal(err)
		}
	}
	for id, n := range map[string]int{"a1": 3, "a2": 2, "a3": 1, "a4": 2, "a6": 4} {
		for i := 0; i < n; i++ {
			if _, err := db.Exec(ctx, `INSERT INTO orders VALUES ($1, $2, 10.0, $3)`, id, fmt.Sprintf("%s-%d", id, i),
				fmt.Sprintf("2025-%02d-01T00:00:00Z", i+2)); err != nil {
				t.Fatal(err)
			}
		}
	}
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
	if err != nil {
		t.Fatal(err)
	}
	var r previewResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Scanned != 6 || r.Audience != 4 || r.Treatment != 4 || r.ConsentSuppressed != 1 || r.Steps[0].WouldSend != 3 {
		t.Errorf("scanned %d audience %d treatment %d suppressed %d would send %d; want 6 4 4 1 3",
			r.Scanned, r.Audience, r.Treatment, r.ConsentSuppressed, r.Steps[0].WouldSend)
	}
	if len(r.Samples) != 2 || r.Samples[0].CustomerID != "a1" || r.Samples[0].Body != "Hi a*******@s***.example, you ordered 3 times" ||
		r.Samples[1].CustomerID != "a4" {
		t.Errorf("samples %+v", r.Samples)
	}
}
