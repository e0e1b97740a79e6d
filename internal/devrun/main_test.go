package devrun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/internal/operator"
)

// The package tests share one real kube-apiserver and etcd (bin/k8s), started
// by startControlPlane exactly as a local run starts it.
var (
	testCP   *controlPlane
	testC    client.Client
	testOpts Options
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	repo, _ := filepath.Abs(filepath.Join("..", ".."))
	work, err := os.MkdirTemp("", "devrun-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(work)
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(repo, "bin", "k8s")
	}
	if _, err := os.Stat(filepath.Join(assets, "kube-apiserver")); err != nil {
		fmt.Fprintf(os.Stderr, "no kube-apiserver in %s: run `make k8s-binaries` first\n", assets)
		return 1
	}
	testOpts = Options{RepoDir: repo, WorkDir: work, AssetsDir: assets, WorkerBinary: "/bin/true"}
	testCP, err = startControlPlane(testOpts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer testCP.stop() //nolint:errcheck // best effort at exit
	testC, err = client.New(testCP.cfg, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

var ctx = context.Background()
