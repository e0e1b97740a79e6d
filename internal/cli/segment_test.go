package cli

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// segmentShopCSV is a six-customer shop (all created 2024-01-01). As of
// 2024-06-30 with a 30-day window, members of frequency >= 1 && monetary <
// 150 are a b c f (d spent 220, e never ordered); by hand:
//
//	repeat rate: window buyers a c f, repeat a -> 1/3 = 33.33%
//	NPS: a 10, b 5, c 8, f 9 -> (2 - 1)/4 = 25.00
//	retention: active before the window a b f, retained a f, c new -> 2/3 = 66.67%
var segmentShopCSV = map[string]string{
	"customers.csv": "id,created_at\na,2024-01-01T00:00:00Z\nb,2024-01-01T00:00:00Z\nc,2024-01-01T00:00:00Z\n" +
		"d,2024-01-01T00:00:00Z\ne,2024-01-01T00:00:00Z\nf,2024-01-01T00:00:00Z\n",
	"orders.csv": "customer_id,order_id,amount,occurred_at\n" +
		"a,o1,20,2024-05-10T12:00:00Z\na,o2,30,2024-06-05T12:00:00Z\na,o3,50,2024-06-20T12:00:00Z\n" +
		"b,o4,40,2024-05-15T12:00:00Z\nc,o5,25,2024-06-10T12:00:00Z\n" +
		"d,o6,200,2024-03-01T12:00:00Z\nd,o7,10,2024-06-25T12:00:00Z\nd,o8,10,2024-06-26T12:00:00Z\n" +
		"f,o9,60,2024-05-20T12:00:00Z\nf,o10,15,2024-06-02T12:00:00Z\n",
	"feedback.csv": "customer_id,score,occurred_at\na,10,2024-06-01T00:00:00Z\nb,5,2024-06-01T00:00:00Z\n" +
		"c,8,2024-06-01T00:00:00Z\nf,9,2024-06-01T00:00:00Z\n",
}

const evalSegmentYAML = `apiVersion: retention.dev/v1alpha1
kind: Segment
metadata:
  name: buyers
  namespace: shop
spec:
  dataSourceRef:
    name: shop
  criteria: customer.frequency >= 1 && customer.monetary < 150.0
  window: 30d
  metrics: [retentionRate, repeatPurchaseRate, nps, cohortRetention]
`

const evalDataSourceYAML = `apiVersion: retention.dev/v1alpha1
kind: DataSource
metadata:
  name: shop
  namespace: shop
spec:
  file:
    format: CSV
    configMapRef:
      name: shop-data
      keys: [customers.csv, orders.csv, feedback.csv]
`

// evalPostgresDataSourceYAML is evalDataSourceYAML reading PostgreSQL (the
// DSN from the Secret shop-db) instead of the CSV ConfigMap.
var evalPostgresDataSourceYAML = strings.Replace(evalDataSourceYAML, `  file:
    format: CSV
    configMapRef:
      name: shop-data
      keys: [customers.csv, orders.csv, feedback.csv]
`, `  postgres:
    dsnSecretRef: {name: shop-db, key: dsn}
`, 1)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSegmentEval runs a Segment over a ConfigMap-backed CSV DataSource
// read from --data and checks the hand-computed size and metrics.
func TestSegmentEval(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	writeFiles(t, data, segmentShopCSV)
	writeFiles(t, dir, map[string]string{"segment.yaml": evalSegmentYAML, "datasource.yaml": evalDataSourceYAML})
	args := []string{"segment", "eval", "-f", filepath.Join(dir, "segment.yaml"),
		"--datasource", filepath.Join(dir, "datasource.yaml"), "--data", data, "--as-of", "2024-06-30"}

	out, _, err := runVerb(t, newSegmentCommand(), append(args, "-o", "json")...)
	var res segmentEvalResult
	decodeOutput(t, out, err, &res)
	want := map[string]string{"retentionRate": "66.67", "repeatPurchaseRate": "33.33", "nps": "25.00"}
	if res.Segment != "buyers" || res.Customers != 6 || res.Size != 4 || !maps.Equal(res.Metrics, want) {
		t.Errorf("result %+v, want buyers: 6 customers, size 4, metrics %v", res, want)
	}
	if res.Cohorts == nil || strings.Join(res.Cohorts.Labels, ",") != "2024-05,2024-06" {
		t.Errorf("cohorts %+v, want months 2024-05 and 2024-06", res.Cohorts)
	}

	table, _, err := runVerb(t, newSegmentCommand(), args...)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"buyers", "2024-06-30T00:00:00Z", "6", "66.67%", "retentionRate", "66.67",
		"2024-05  3     100.00%  66.67%"} {
		if !strings.Contains(table, w) {
			t.Errorf("table lacks %q:\n%s", w, table)
		}
	}
	for _, id := range []string{" a ", " b ", " f "} {
		if strings.Contains(table, id) {
			t.Errorf("table shows customer id %q:\n%s", id, table)
		}
	}
}

// TestSegmentEvalPicksByName: a multi-document file (as config/samples
// keeps them) is refused without --name, listing the Segments, instead of
// silently evaluating the first; --name picks one; the data comes from the
// ConfigMap manifest given with --datasource.
func TestSegmentEvalPicksByName(t *testing.T) {
	dir := t.TempDir()
	other := strings.Replace(strings.Replace(evalSegmentYAML, "name: buyers", "name: big-spenders", 1),
		"customer.monetary < 150.0", "customer.monetary >= 150.0", 1)
	var cm strings.Builder
	cm.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shop-data, namespace: shop}\ndata:\n")
	for _, key := range []string{"customers.csv", "orders.csv", "feedback.csv"} {
		fmt.Fprintf(&cm, "  %s: |\n", key)
		for _, line := range strings.SplitAfter(strings.TrimSuffix(segmentShopCSV[key], "\n"), "\n") {
			cm.WriteString("    " + line)
		}
		cm.WriteString("\n")
	}
	writeFiles(t, dir, map[string]string{"segments.yaml": evalSegmentYAML + "---\n" + other,
		"datasource.yaml": evalDataSourceYAML, "data.yaml": cm.String()})
	base := []string{"segment", "eval", "-f", filepath.Join(dir, "segments.yaml"),
		"--datasource", filepath.Join(dir, "datasource.yaml") + "," + filepath.Join(dir, "data.yaml"), "--as-of", "2024-06-30", "-o", "json"}

	_, _, err := runVerb(t, newSegmentCommand(), base...)
	if err == nil || !strings.Contains(err.Error(), "holds 2 Segments (buyers, big-spenders); choose one with --name") {
		t.Errorf("two Segments, no --name: error %v, want one listing both names", err)
	}
	_, _, err = runVerb(t, newSegmentCommand(), append(base, "--name", "nobody")...)
	if err == nil || !strings.Contains(err.Error(), `no Segment named "nobody"`) {
		t.Errorf("--name nobody: error %v", err)
	}
	for name, size := range map[string]int64{"buyers": 4, "big-spenders": 1} { // d alone spent 150 or more
		out, _, err := runVerb(t, newSegmentCommand(), append(base, "--name", name)...)
		if err != nil {
			t.Fatalf("--name %s: %v", name, err)
		}
		var res segmentEvalResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("decode %q: %v", out, err)
		}
		if res.Segment != name || res.Customers != 6 || res.Size != size {
			t.Errorf("--name %s: %+v, want 6 customers, size %d", name, res, size)
		}
	}
}

// TestSegmentEvalErrors names the flag or setting to fix.
func TestSegmentEvalErrors(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"segment.yaml": evalSegmentYAML, "datasource.yaml": evalDataSourceYAML,
		"pg.yaml": evalPostgresDataSourceYAML, "bad-criteria.yaml": strings.Replace(evalSegmentYAML, "customer.frequency", "customer.frequncy", 1)})
	seg, ds := filepath.Join(dir, "segment.yaml"), filepath.Join(dir, "datasource.yaml")
	t.Setenv("RETENTION_DATASOURCE_DSN", "")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-f", seg, "--datasource", ds}, `--data: the DataSource reads ConfigMap "shop-data"`},
		{[]string{"-f", ds, "--datasource", ds, "--data", dir}, `no Segment in `},
		{[]string{"-f", seg, "--datasource", filepath.Join(dir, "pg.yaml")}, "RETENTION_DATASOURCE_DSN from the Secret shop-db key dsn"},
		{[]string{"-f", seg, "--datasource", filepath.Join(dir, "pg.yaml"), "--dsn", "postgres://me@127.0.0.1:1/shop"},
			"data source unreachable: "},
		{[]string{"-f", filepath.Join(dir, "bad-criteria.yaml"), "--datasource", ds, "--data", dir}, "spec.criteria: "},
	} {
		_, _, err := runVerb(t, newSegmentCommand(), append([]string{"segment", "eval"}, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want it to contain %q", tt.args, err, tt.want)
		}
	}
}

// TestSegmentEvalPostgres runs the same shop from PostgreSQL through --dsn
// (the criteria is pushed down into the features query) and requires the
// same hand-computed results as the CSV run.
func TestSegmentEvalPostgres(t *testing.T) {
	dsn := postgresShop(t, true, segmentShopCSV)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"segment.yaml": evalSegmentYAML, "pg.yaml": evalPostgresDataSourceYAML})
	t.Setenv("RETENTION_DATASOURCE_DSN", dsn)
	out, _, err := runVerb(t, newSegmentCommand(), "segment", "eval", "-f", filepath.Join(dir, "segment.yaml"),
		"--datasource", filepath.Join(dir, "pg.yaml"), "--as-of", "2024-06-30", "-o", "json")
	var res segmentEvalResult
	decodeOutput(t, out, err, &res)
	want := map[string]string{"retentionRate": "66.67", "repeatPurchaseRate": "33.33", "nps": "25.00"}
	if res.Customers != 6 || res.Size != 4 || !maps.Equal(res.Metrics, want) {
		t.Errorf("result %+v, want 6 customers, size 4, metrics %v", res, want)
	}
}
