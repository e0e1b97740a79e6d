// Package devrun is `retentionctl dev`: the whole operator on one machine with
// no cluster. It starts a real kube-apiserver and etcd (envtest), the
// production manager in-process, applies config/samples with fresh demo data,
// and stands in for the kubelet by running each worker pod as a local process
// with exactly its pod template's command, arguments and environment.
package devrun

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Options configure one local run.
type Options struct {
	// RepoDir is the repository checkout (config/crd/bases, config/samples,
	// hack/gendata and bin/ are found under it). Default: the current directory.
	RepoDir string
	// WorkDir holds the kubeconfig, pod directories and logs. Default: RepoDir/.dev.
	WorkDir string
	// AssetsDir holds kube-apiserver, etcd and kubectl. Default:
	// $KUBEBUILDER_ASSETS, else RepoDir/bin/k8s.
	AssetsDir string
	// WorkerBinary replaces the pod command /worker. Default: RepoDir/bin/worker.
	WorkerBinary string
	// Customers and Orders size the generated demo shop.
	Customers, Orders int
	// Seed makes the demo data reproducible (the dates move with Now).
	Seed uint64
	// Now is where the demo history ends; zero means time.Now().
	Now time.Time
	// Once prints the table once every resource is Ready and returns.
	Once bool
	// Timeout stops the run (an error in Once mode); zero means none.
	Timeout time.Duration
	// Refresh is the live view's redraw interval (default 2s).
	Refresh time.Duration
	// Out receives the live view and console lines (default os.Stdout).
	Out io.Writer
	// Width is the table width in columns (default 100).
	Width int
	// Force, when closed while the run is stopping, cuts the workers'
	// termination grace short (SIGKILL now); the manager and control plane
	// still stop in order, so no kube-apiserver or etcd is left behind.
	Force <-chan struct{}
}

// withDefaults fills the zero fields and makes paths absolute (workers run
// with RETENTION_LOCAL_ROOT and KUBECONFIG pointing into WorkDir).
func (o Options) withDefaults() (Options, error) {
	if o.RepoDir == "" {
		o.RepoDir = "."
	}
	abs := func(p string) (string, error) { return filepath.Abs(p) }
	var err error
	if o.RepoDir, err = abs(o.RepoDir); err != nil {
		return o, err
	}
	if o.WorkDir == "" {
		o.WorkDir = filepath.Join(o.RepoDir, ".dev")
	}
	if o.WorkDir, err = abs(o.WorkDir); err != nil {
		return o, err
	}
	if o.AssetsDir == "" {
		o.AssetsDir = os.Getenv("KUBEBUILDER_ASSETS")
	}
	if o.AssetsDir == "" {
		o.AssetsDir = filepath.Join(o.RepoDir, "bin", "k8s")
	}
	if o.AssetsDir, err = abs(o.AssetsDir); err != nil {
		return o, err
	}
	if o.WorkerBinary == "" {
		o.WorkerBinary = filepath.Join(o.RepoDir, "bin", "worker")
	}
	if o.WorkerBinary, err = abs(o.WorkerBinary); err != nil {
		return o, err
	}
	if o.Customers == 0 {
		o.Customers = 250
	}
	if o.Orders == 0 {
		o.Orders = 1200
	}
	if o.Seed == 0 {
		o.Seed = 7
	}
	if o.Refresh == 0 {
		o.Refresh = 2 * time.Second
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.Width == 0 {
		o.Width = 100
	}
	for what, path := range map[string]string{
		"kube-apiserver (run `make k8s-binaries`)": filepath.Join(o.AssetsDir, "kube-apiserver"),
		"etcd (run `make k8s-binaries`)":           filepath.Join(o.AssetsDir, "etcd"),
		"worker binary (run `make build`)":         o.WorkerBinary,
		"CRDs (is --repo the checkout?)":           filepath.Join(o.RepoDir, "config", "crd", "bases"),
		"samples (is --repo the checkout?)":        filepath.Join(o.RepoDir, "config", "samples"),
	} {
		if _, err := os.Stat(path); err != nil {
			return o, fmt.Errorf("%s: %w", what, err)
		}
	}
	return o, nil
}

// Paths under WorkDir.
func (o Options) kubeconfigPath() string { return filepath.Join(o.WorkDir, "kubeconfig") }
func (o Options) podsDir() string        { return filepath.Join(o.WorkDir, "pods") }
func (o Options) logsDir() string        { return filepath.Join(o.WorkDir, "logs") }
func (o Options) stateDir(ns string) string {
	return filepath.Join(o.WorkDir, "state", ns)
}
func (o Options) identitiesDir() string { return filepath.Join(o.WorkDir, "identities") }
