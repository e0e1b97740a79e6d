package cli

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/retention-dev/retention-operator/internal/operator"
)

// A real API server (envtest: kube-apiserver + etcd built into bin/k8s)
// with our CRDs, started once for the tests that need a cluster.
var (
	apiOnce       sync.Once
	apiEnv        *envtest.Environment
	apiCfg        *rest.Config
	apiClient     client.Client
	apiKubeconfig string
	apiErr        error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if apiEnv != nil {
		_ = apiEnv.Stop()
	}
	if apiKubeconfig != "" {
		_ = os.RemoveAll(filepath.Dir(apiKubeconfig))
	}
	os.Exit(code)
}

// apiServer starts the shared API server on first use and returns a client
// and a kubeconfig file for it.
func apiServer(t *testing.T) (client.Client, string) {
	t.Helper()
	apiOnce.Do(func() {
		root := filepath.Join("..", "..")
		assets := os.Getenv("KUBEBUILDER_ASSETS")
		if assets == "" {
			assets = filepath.Join(root, "bin", "k8s")
		}
		if _, err := os.Stat(filepath.Join(assets, "kube-apiserver")); err != nil {
			apiErr = err
			return
		}
		apiEnv = &envtest.Environment{
			CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
			ErrorIfCRDPathMissing: true,
			BinaryAssetsDirectory: assets,
		}
		if apiCfg, apiErr = apiEnv.Start(); apiErr != nil {
			return
		}
		if apiClient, apiErr = client.New(apiCfg, client.Options{Scheme: operator.Scheme()}); apiErr != nil {
			return
		}
		admin, err := apiEnv.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
		if err != nil {
			apiErr = err
			return
		}
		raw, err := admin.KubeConfig()
		if err != nil {
			apiErr = err
			return
		}
		dir, err := os.MkdirTemp("", "retentionctl-kubeconfig")
		if err != nil {
			apiErr = err
			return
		}
		apiKubeconfig = filepath.Join(dir, "kubeconfig")
		apiErr = os.WriteFile(apiKubeconfig, raw, 0o600)
	})
	if apiErr != nil {
		t.Fatalf("real API server (envtest) unavailable: %v; run `make k8s-binaries` to build bin/k8s or set KUBEBUILDER_ASSETS", apiErr)
	}
	return apiClient, apiKubeconfig
}
