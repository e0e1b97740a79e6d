// Package helm tests the Helm chart in charts/retention-operator with the real
// helm binary, a real kube-apiserver and etcd (envtest) and the real kubectl.
package helm

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// repoRoot is the directory holding go.mod, found by walking up from the test's
// working directory (go test runs in the package directory).
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// chartDir is the chart under test.
func chartDir(t *testing.T) string {
	return filepath.Join(repoRoot(t), "charts", "retention-operator")
}

var (
	helmOnce sync.Once
	helmPath string
	helmErr  error
	k8sOnce  sync.Once
	k8sErr   error
)

// helmBinary returns bin/helm, building it with `make helm` (go install of the
// pinned version) on first use when it is missing, so CI needs nothing
// preinstalled. The first build takes about two minutes.
func helmBinary(t *testing.T) string {
	t.Helper()
	helmOnce.Do(func() {
		root := repoRoot(t)
		helmPath = filepath.Join(root, "bin", "helm")
		if _, err := os.Stat(helmPath); err == nil {
			return
		}
		start := time.Now()
		cmd := exec.Command("make", "helm")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			helmErr = fmt.Errorf("make helm: %v\n%s", err, out)
			return
		}
		t.Logf("built %s in %s", helmPath, time.Since(start).Round(time.Second))
	})
	if helmErr != nil {
		t.Fatal(helmErr)
	}
	return helmPath
}

// assetsDir holds kube-apiserver, etcd and kubectl: KUBEBUILDER_ASSETS, else
// bin/k8s, built by hack/build-k8s-binaries.sh when missing.
func assetsDir(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	dir := filepath.Join(root, "bin", "k8s")
	k8sOnce.Do(func() {
		cmd := exec.Command(filepath.Join(root, "hack", "build-k8s-binaries.sh"))
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			k8sErr = fmt.Errorf("hack/build-k8s-binaries.sh: %v\n%s", err, out)
		}
	})
	if k8sErr != nil {
		t.Fatal(k8sErr)
	}
	return dir
}

// tool runs helm or kubectl with an isolated Helm home and the given kubeconfig.
type tool struct {
	t          *testing.T
	helm       string
	kubectl    string
	kubeconfig string
	home       string
}

func newTool(t *testing.T, kubeconfig string) *tool {
	t.Helper()
	return &tool{
		t:          t,
		helm:       helmBinary(t),
		kubectl:    filepath.Join(assetsDir(t), "kubectl"),
		kubeconfig: kubeconfig,
		home:       t.TempDir(),
	}
}

// run executes bin with args and returns stdout; stderr goes into the error.
func (x *tool) run(bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(x.home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(x.home, "config"),
		"HELM_DATA_HOME="+filepath.Join(x.home, "data"),
		"HOME="+x.home,
	)
	if x.kubeconfig != "" {
		cmd.Env = append(cmd.Env, "KUBECONFIG="+x.kubeconfig)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String(), fmt.Errorf("%s %v: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(bin), args, err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// must runs bin and fails the test on error.
func (x *tool) must(bin string, args ...string) string {
	x.t.Helper()
	out, err := x.run(bin, args...)
	if err != nil {
		x.t.Fatal(err)
	}
	return out
}

// mustHelm runs helm and fails the test on error.
func (x *tool) mustHelm(args ...string) string {
	x.t.Helper()
	return x.must(x.helm, args...)
}

// mustKubectl runs kubectl and fails the test on error.
func (x *tool) mustKubectl(args ...string) string {
	x.t.Helper()
	return x.must(x.kubectl, args...)
}

// serverSideDryRun applies manifest with kubectl apply --server-side
// --dry-run=server and the extra args, fails the test unless the API server
// accepted all want objects, and returns kubectl's output.
func (x *tool) serverSideDryRun(manifest string, want int, args ...string) string {
	x.t.Helper()
	file := filepath.Join(x.t.TempDir(), "manifest.yaml")
	if err := os.WriteFile(file, []byte(manifest), 0o600); err != nil {
		x.t.Fatal(err)
	}
	out := x.mustKubectl(append([]string{"apply", "--server-side", "--dry-run=server", "-f", file}, args...)...)
	if got := strings.Count(out, "serverside-applied (server dry run)"); got != want {
		x.t.Fatalf("server accepted %d of %d objects:\n%s", got, want, out)
	}
	return out
}

// chartWithExtraSegmentColumn copies the chart to a temp dir, bumps its
// version and adds a printer column to the Segment CRD template.
func chartWithExtraSegmentColumn(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "retention-operator")
	if err := os.CopyFS(dst, os.DirFS(chartDir(t))); err != nil {
		t.Fatalf("copy chart: %v", err)
	}
	crd := filepath.Join(dst, "templates", "crds", "retention.dev_segments.yaml")
	data, err := os.ReadFile(crd)
	if err != nil {
		t.Fatal(err)
	}
	const anchor = "  - additionalPrinterColumns:\n"
	column := anchor + "    - jsonPath: .metadata.labels.tier\n      name: " + upgradedCol + "\n      type: string\n"
	if !strings.Contains(string(data), anchor) {
		t.Fatalf("%s has no %q to extend", crd, strings.TrimSpace(anchor))
	}
	if err := os.WriteFile(crd, []byte(strings.Replace(string(data), anchor, column, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	chart := filepath.Join(dst, "Chart.yaml")
	meta, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	bumped := strings.Replace(string(meta), "\nversion: ", "\nversion: 99.0.0-upgrade-test\n# was: ", 1)
	if err := os.WriteFile(chart, []byte(bumped), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}
