package metrics

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// Values planted where a tenant could point the worker; none may appear in
// the report, the returned error or the logs.
const (
	plantedPassword = "S3cr3t-PLANT-xyz"
	plantedEnv      = "ENV-PLANT-5d0c"
	plantedEmail    = "bob.jones@example.com"
)

// runEnvJob runs RunFromEnv as a pod would (no local root) and returns the
// published report's raw JSON and the returned error.
func runEnvJob(t *testing.T, ds v1alpha1.DataSourceSpec) (string, error) {
	t.Helper()
	dir := t.TempDir()
	reportPath := filepath.Join(dir, "summary.json")
	t.Setenv(contract.EnvReportFile, reportPath)
	specPath := writeSpec(t, dir, segmentWorkerSpec(t, fixtureSeg, ds))
	runErr := RunFromEnv(context.Background(), workload.Paths{}, specPath)
	raw, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatalf("no report published: %v", err)
	}
	return string(raw), runErr
}

func assertNoPlant(t *testing.T, where, text string) {
	t.Helper()
	for _, p := range []string{plantedPassword, plantedEnv, plantedEmail, "bob.jones"} {
		if strings.Contains(text, p) {
			t.Errorf("%s carries %q: %s", where, p, text)
		}
	}
}

// Route 1: stateStore.dsnSecretRef pointed at some other Secret of the
// namespace. Its value is not a postgres:// URL, so it is refused and never
// taken as a SQLite path (which would quote it, or create a file by its name).
func TestStateStoreSecretThatIsNotAURLIsRefusedUnechoed(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, v := range []string{plantedPassword, "/proc/self/environ", "mysql://u:" + plantedPassword + "@h/db"} {
		t.Setenv(contract.EnvStateStore, v)
		raw, err := runEnvJob(t, v1alpha1.DataSourceSpec{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatCSV, Path: workload.DataDir}})
		if err == nil || !strings.Contains(err.Error(), "stateStore dsnSecretRef value is not a postgres:// URL") {
			t.Fatalf("value %q: err = %v, want the refusal", v, err)
		}
		assertNoPlant(t, "error", err.Error())
		assertNoPlant(t, "report", raw)
		if !strings.Contains(raw, "is not a postgres:// URL") {
			t.Errorf("report does not say why: %s", raw)
		}
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("the refused value created files: %v", entries)
	}
}

// Route 1, PostgreSQL form: a DSN whose server refuses reports the host,
// never the password.
func TestStateStorePasswordNeverReported(t *testing.T) {
	t.Setenv(contract.EnvStateStore, "postgres://shop:"+plantedPassword+"@127.0.0.1:1/state?sslmode=disable&connect_timeout=2")
	raw, err := runEnvJob(t, v1alpha1.DataSourceSpec{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatCSV, Path: workload.DataDir}})
	if err == nil {
		t.Fatal("the run succeeded against a closed port")
	}
	assertNoPlant(t, "error", err.Error())
	assertNoPlant(t, "report", raw)
}

// Route 2: file.path: /proc/self/environ (or any path outside the data
// mount) with a real state store: refused before reading, so neither the
// environment nor the state store's password reaches the report.
func TestDataPathOutsideTheMountIsRefused(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("RETENTION_TEST_PLANTED", plantedEnv)
	t.Setenv(contract.EnvStateStore, "sqlite:"+filepath.Join(dir, "state.db"))
	t.Setenv(contract.EnvDataSourceDSN, "postgres://shop:"+plantedPassword+"@db/x")
	outside := filepath.Join(dir, "shop")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	writeShopCSV(t, outside, fixtureShop())
	for _, ds := range []v1alpha1.DataSourceSpec{
		{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatTransactions, Path: "/proc/self/environ"}},
		{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatCSV, Path: outside}},
		{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatCSV, Path: workload.DataDir + "/../../../.." + outside}},
		{SQLite: &v1alpha1.SQLiteSource{Path: "/proc/self/environ"}},
	} {
		raw, err := runEnvJob(t, ds)
		if err == nil || !(strings.Contains(err.Error(), "is under /proc") || strings.Contains(err.Error(), "outside the data directory") ||
			strings.Contains(err.Error(), `contains ".."`)) {
			t.Fatalf("%+v: err = %v, want the path refused", ds, err)
		}
		assertNoPlant(t, "error", err.Error())
		assertNoPlant(t, "report", raw)
	}
}

// A consent column holding an email (the reported leak) fails the run naming
// file, line and column; the address reaches neither report, error nor log.
func TestCustomerEmailNeverReachesReportOrLog(t *testing.T) {
	dir := t.TempDir()
	writeShopCSV(t, dir, fixtureShop())
	writeCSVFile(t, filepath.Join(dir, "customers.csv"), [][]string{
		{"id", "email", "consent_email"}, {"a", "a@example.com", "true"}, {"b", "x@example.com", plantedEmail}})
	var logs bytes.Buffer
	sum, err := Run(context.Background(), Options{Namespace: "shop", Name: "buyers", Segment: segmentConfig(t, fixtureSeg),
		Source: sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatCSV, Path: dir},
		DB:     testdb.Open(t, testdb.SQLite(t), store.Open), Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err == nil || !strings.Contains(sum.Error, "customers.csv line 3: consent_email") {
		t.Fatalf("err = %v, summary error %q; want customers.csv line 3 consent_email named", err, sum.Error)
	}
	assertNoPlant(t, "summary", sum.Error)
	assertNoPlant(t, "log", logs.String())
	if !strings.Contains(logs.String(), "customers.csv line 3") {
		t.Errorf("the log does not name the row: %s", logs.String())
	}
}

// Repeated and orphan rows are left out of the figures and counted in the
// report's dataIssues.
func TestDataIssuesReachTheReport(t *testing.T) {
	dir := t.TempDir()
	s := fixtureShop()
	s.orders = append(s.orders, s.orders[0]) // a repeated row
	orphan := s.orders[1]
	orphan.CustomerID, orphan.OrderID = "ghost", "o-ghost"
	s.orders = append(s.orders, orphan)
	writeShopCSV(t, dir, s)
	var logs bytes.Buffer
	spec := fixtureSeg
	spec.Metrics = []v1alpha1.MetricName{"historicalCLV"}
	sum, err := Run(context.Background(), Options{Namespace: "shop", Name: "buyers", Segment: segmentConfig(t, spec),
		Source: sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatCSV, Path: dir},
		DB:     testdb.Open(t, testdb.SQLite(t), store.Open), Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{datasource.IssueDuplicateOrder: 1, datasource.IssueOrphanOrder: 1}
	if !maps.Equal(sum.DataIssues, want) {
		t.Errorf("dataIssues = %v, want %v", sum.DataIssues, want)
	}
	// The same figures as without the bad rows (TestRunFromEnvPublishesReport).
	if sum.Metrics["historicalCLV"].String() != "60.00" || sum.Customers != 6 || sum.Size != 4 {
		t.Errorf("summary %+v, want the fixture's figures unchanged", sum)
	}
	if !strings.Contains(logs.String(), `"dataIssues":{"duplicateOrderId":1,"orphanOrder":1}`) {
		t.Errorf("the run log does not carry the counts: %s", logs.String())
	}
}
