package devrun

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Demo data names the samples expect (config/samples/10-datasource.yaml).
const (
	demoNamespace = "shop"
	demoConfigMap = "shop-demo-data"
)

// demoFiles are the CSV files the sample DataSource lists in configMapRef.keys.
var demoFiles = []string{"customers.csv", "orders.csv", "feedback.csv"}

// generateDemoData builds hack/gendata once and writes a shop whose history
// ends at end (now, so recency-based segments such as at-risk have members
// today; the committed 03-demo-data.yaml ends at a fixed date and ages).
// It returns the CSV files as ConfigMap data and also loads the same rows
// into WorkDir/shop.db for poking at with sqlite3.
func generateDemoData(ctx context.Context, o Options, end time.Time) (map[string]string, error) {
	bin := filepath.Join(o.WorkDir, "bin", "gendata")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./hack/gendata")
	build.Dir = o.RepoDir
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./hack/gendata: %w\n%s", err, out)
	}
	csvDir := filepath.Join(o.WorkDir, "data")
	if err := os.MkdirAll(csvDir, 0o755); err != nil {
		return nil, err
	}
	args := []string{
		"--customers", strconv.Itoa(o.Customers), "--orders", strconv.Itoa(o.Orders),
		"--seed", strconv.FormatUint(o.Seed, 10), "--end", end.UTC().Format(time.RFC3339), "--years", "2",
	}
	for _, target := range [][]string{{"--csv", csvDir}, {"--sqlite", filepath.Join(o.WorkDir, "shop.db")}} {
		gen := exec.CommandContext(ctx, bin, append(args, target...)...)
		if out, err := gen.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("gendata %v: %w\n%s", target, err, out)
		}
	}
	data := map[string]string{}
	size := 0
	for _, name := range demoFiles {
		b, err := os.ReadFile(filepath.Join(csvDir, name))
		if err != nil {
			return nil, fmt.Errorf("gendata output: %w", err)
		}
		data[name] = string(b)
		size += len(b)
	}
	// A ConfigMap holds at most 1 MiB; say which flag to lower instead of
	// letting the API server reject it with a generic message.
	if size > 1000*1000 {
		return nil, fmt.Errorf("demo data is %d bytes, over the ConfigMap limit of 1 MiB: lower --customers/--orders", size)
	}
	return data, nil
}

// demoDataConfigMap is the generated replacement for config/samples/03-demo-data.yaml.
func demoDataConfigMap(data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: demoConfigMap, Namespace: demoNamespace,
			Labels: map[string]string{"app.kubernetes.io/part-of": "retention-dev-run"}},
		Data: data,
	}
}
