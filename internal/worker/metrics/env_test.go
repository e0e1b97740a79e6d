package metrics

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// writeSpec renders the worker spec the controller would mount.
func writeSpec(t *testing.T, dir string, seg contract.Segment) string {
	t.Helper()
	data, err := contract.Render(seg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "spec.json")
	if err := os.WriteFile(path, []byte(data["spec.json"]), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRunFromEnvPublishesReport runs the job as the CronJob does, with the
// report going to a file, and decodes the summary back.
func TestRunFromEnvPublishesReport(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	if err := os.Mkdir(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeShopCSV(t, dataDir, fixtureShop())
	reportPath := filepath.Join(dir, "summary.json")
	t.Setenv(contract.EnvReportFile, reportPath)
	// A local run: the explicit data path is the user's own directory (in
	// a pod it would have to be under the data mount).
	t.Setenv(contract.EnvStateStore, "sqlite:/state.db")
	spec := fixtureSeg
	// Time-independent metrics: the job runs as of now, long after the fixture.
	spec.Metrics = []v1alpha1.MetricName{"historicalCLV", "nps"}
	seg := segmentWorkerSpec(t, spec, v1alpha1.DataSourceSpec{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatCSV, Path: dataDir}})
	specPath := writeSpec(t, dir, seg)
	local := workload.Paths{Root: dir}

	before := time.Now().UTC()
	if err := RunFromEnv(context.Background(), local, specPath); err != nil {
		t.Fatal(err)
	}
	got := decodeReport(t, reportPath)
	if !got.Succeeded || got.Error != "" || !got.DataSourceReachable || got.Customers != 6 || got.Size != 4 ||
		got.Entered != 4 || got.Exited != 0 || got.RunTime.Before(before.Truncate(time.Second)) || got.LastSuccess == nil {
		t.Errorf("summary %+v", got)
	}
	if want := map[string]string{"historicalCLV": "60.00", "nps": "25.00"}; !maps.Equal(report.Decimals(got.Metrics), want) {
		t.Errorf("metrics %v, want %v", got.Metrics, want)
	}
	// Never customer data: no member id appears in the published JSON.
	raw, _ := os.ReadFile(reportPath)
	for _, id := range []string{`"a"`, `"b"`, `"c"`, `"f"`} {
		if strings.Contains(string(raw), id) {
			t.Errorf("summary contains customer id %s: %s", id, raw)
		}
	}

	// A broken spec still publishes a failed summary and returns an error
	// (the process exits non-zero); the last success is carried over.
	seg.Config.Criteria = "customer.recncyDays > 1"
	writeSpec(t, dir, seg)
	err := RunFromEnv(context.Background(), local, specPath)
	if err == nil || !strings.Contains(err.Error(), "spec.criteria") {
		t.Fatalf("err = %v, want a spec.criteria error", err)
	}
	failed := decodeReport(t, reportPath)
	if failed.Succeeded || !strings.HasPrefix(failed.Error, "spec.criteria: ") || failed.LastSuccess == nil ||
		!failed.LastSuccess.Equal(*got.LastSuccess) {
		t.Errorf("failed summary %+v, want spec.criteria error and lastSuccess %v", failed, got.LastSuccess)
	}
}

func decodeReport(t *testing.T, path string) report.Segment {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s report.Segment
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return s
}
