package helm

import (
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// startAPIServer starts a real kube-apiserver and etcd, and writes a kubeconfig
// for an admin user (system:masters) that helm and kubectl use.
func startAPIServer(t *testing.T) (cfg *rest.Config, kubeconfig string) {
	t.Helper()
	env := &envtest.Environment{BinaryAssetsDirectory: assetsDir(t)}
	if _, err := env.Start(); err != nil {
		t.Fatalf("start envtest (binaries in %s): %v", env.BinaryAssetsDirectory, err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stop envtest: %v", err)
		}
	})
	admin, err := env.AddUser(envtest.User{Name: "helm-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatalf("add admin user: %v", err)
	}
	data, err := admin.KubeConfig()
	if err != nil {
		t.Fatalf("admin kubeconfig: %v", err)
	}
	kubeconfig = filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return admin.Config(), kubeconfig
}
