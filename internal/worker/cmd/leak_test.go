package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// The two reported Secret-leak routes, run as the CronJob runs the binary
// (no local root): neither the planted Secret value nor the planted
// environment reaches the report, stdout or the log (the pod's termination
// message).
func TestMetricsJobLeaksNoSecrets(t *testing.T) {
	const (
		planted    = "S3cr3t-PLANT-xyz"
		plantedEnv = "ENV-PLANT-b71e"
	)
	t.Setenv(workload.LocalRootEnv, "")
	t.Setenv("RETENTION_TEST_PLANTED", plantedEnv)
	t.Chdir(t.TempDir())
	routes := []struct {
		name  string
		state string
		ds    v1alpha1.DataSourceSpec
	}{
		{"dsnSecretRef at another Secret", planted + "/key",
			v1alpha1.DataSourceSpec{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatCSV, Path: workload.DataDir}}},
		{"file.path /proc/self/environ", "sqlite:" + filepath.Join(t.TempDir(), "state.db"),
			v1alpha1.DataSourceSpec{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatTransactions, Path: "/proc/self/environ"}}},
	}
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv(contract.EnvStateStore, r.state)
			t.Setenv(contract.EnvDataSourceDSN, "postgres://shop:"+planted+"@db/x")
			reportPath := filepath.Join(dir, "summary.json")
			t.Setenv(contract.EnvReportFile, reportPath)
			data, err := contract.Render(workerSpec(t, apiSegment{Namespace: "shop", Name: "s",
				Spec: v1alpha1.SegmentSpec{Criteria: "customer.frequency >= 1"}, DataSource: r.ds}))
			if err != nil {
				t.Fatal(err)
			}
			specPath := filepath.Join(dir, "spec.json")
			if err := os.WriteFile(specPath, []byte(data["spec.json"]), 0o600); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			if code := Execute([]string{"metrics", "--spec", specPath}, &stdout, &stderr); code == 0 {
				t.Fatal("the job succeeded")
			}
			report, err := os.ReadFile(reportPath)
			if err != nil {
				t.Fatal(err)
			}
			for where, out := range map[string]string{"report": string(report), "stdout": stdout.String(), "log": stderr.String()} {
				if strings.Contains(out, planted) || strings.Contains(out, plantedEnv) {
					t.Errorf("%s carries a planted value: %s", where, out)
				}
			}
			if !strings.Contains(string(report), `"error"`) || !strings.Contains(stderr.String(), "worker failed") {
				t.Errorf("the failure is not reported: report %s log %s", report, stderr.String())
			}
		})
	}
}
