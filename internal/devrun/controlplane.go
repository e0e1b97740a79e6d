package devrun

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// controlPlane is a real kube-apiserver and etcd (the envtest binaries) with
// the retention CRDs installed. There is no kubelet, scheduler or
// kube-controller-manager: the local kubelet in this package runs the
// workers and garbage-collects what the operator owns. (Namespaces are not
// finalized: a deleted namespace stays Terminating.)
type controlPlane struct {
	env *envtest.Environment
	cfg *rest.Config

	mu         sync.Mutex
	identities map[string]string // service account user -> kubeconfig path
	dir        string
	// unguard ends the watchdog that stops the control plane if this
	// process dies first (guardControlPlane).
	unguard func()
}

// controlPlaneStopGrace bounds each of kube-apiserver's and etcd's stops:
// SIGTERM, then SIGKILL after this long. envtest stops the API server first,
// while etcd still answers, so it can shut down cleanly; an API server whose
// etcd is gone can hang in shutdown for over a minute.
const controlPlaneStopGrace = 10 * time.Second

func startControlPlane(o Options) (*controlPlane, error) {
	env := &envtest.Environment{
		CRDDirectoryPaths:       []string{filepath.Join(o.RepoDir, "config", "crd", "bases")},
		ErrorIfCRDPathMissing:   true,
		BinaryAssetsDirectory:   o.AssetsDir,
		ControlPlaneStopTimeout: controlPlaneStopGrace,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("start kube-apiserver and etcd from %s: %w", o.AssetsDir, err)
	}
	unguard, err := guardControlPlane()
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	cp := &controlPlane{env: env, cfg: cfg, identities: map[string]string{}, dir: o.identitiesDir(), unguard: unguard}
	// The user's kubeconfig: an admin (system:masters) client certificate.
	if err := cp.writeKubeconfig(envtest.User{Name: "dev-admin", Groups: []string{"system:masters"}}, o.kubeconfigPath()); err != nil {
		cp.stop()
		return nil, err
	}
	return cp, nil
}

func (cp *controlPlane) writeKubeconfig(u envtest.User, path string) error {
	user, err := cp.env.AddUser(u, nil)
	if err != nil {
		return fmt.Errorf("provision user %s: %w", u.Name, err)
	}
	raw, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("kubeconfig for %s: %w", u.Name, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, raw, 0o600)
}

// serviceAccountKubeconfig returns a kubeconfig that authenticates as the
// pod's ServiceAccount (a client certificate for
// system:serviceaccount:<ns>:<name>), so a worker process has exactly the
// permissions its pod would have: the Role the operator made for it, which
// allows writing its own report ConfigMap and nothing else.
func (cp *controlPlane) serviceAccountKubeconfig(namespace, name string) (string, error) {
	if name == "" {
		name = "default"
	}
	user := fmt.Sprintf("system:serviceaccount:%s:%s", namespace, name)
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if path, ok := cp.identities[user]; ok {
		return path, nil
	}
	path := filepath.Join(cp.dir, namespace+"-"+name+".kubeconfig")
	err := cp.writeKubeconfig(envtest.User{Name: user, Groups: []string{
		"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated",
	}}, path)
	if err != nil {
		return "", err
	}
	cp.identities[user] = path
	return path, nil
}

// stop stops kube-apiserver, then etcd (envtest's order), each bounded by
// controlPlaneStopGrace, after ending the watchdog.
func (cp *controlPlane) stop() error {
	cp.unguard()
	return cp.env.Stop()
}
