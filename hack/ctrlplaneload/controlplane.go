package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// managerUser is the identity the manager runs as: bound to the ClusterRole
// in config/rbac/role.yaml and nothing else, and the only user whose writes
// the audit policy records.
const managerUser = "retention-manager"

// auditPolicy records every write of the manager (metadata only) and nothing
// else. Reads are not recorded: they are served by its cache.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  users: [` + managerUser + `]
  verbs: [create, update, patch, delete, deletecollection]
- level: None
`

type controlPlane struct {
	env               *envtest.Environment
	adminConfig       *rest.Config
	managerKubeconfig string
	auditLog          string
}

func startControlPlane(o options, dir string) (*controlPlane, error) {
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		return nil, err
	}
	cp := &controlPlane{auditLog: filepath.Join(dir, "audit.log")}
	cp.env = &envtest.Environment{
		CRDDirectoryPaths:       []string{o.crds},
		ErrorIfCRDPathMissing:   true,
		BinaryAssetsDirectory:   o.assets,
		ControlPlaneStopTimeout: 30 * time.Second,
	}
	api := cp.env.ControlPlane.GetAPIServer()
	api.Configure().
		Set("audit-policy-file", policy).
		Set("audit-log-path", cp.auditLog).
		Set("audit-log-format", "json").
		Set("audit-log-mode", "blocking")
	fmt.Printf("== starting kube-apiserver and etcd from %s\n", o.assets)
	cfg, err := cp.env.Start()
	if err != nil {
		return nil, fmt.Errorf("start kube-apiserver and etcd: %w", err)
	}
	cfg.QPS, cfg.Burst = 500, 1000 // the load and the stand-in must not be the bottleneck
	cp.adminConfig = cfg
	user, err := cp.env.AddUser(envtest.User{Name: managerUser, Groups: []string{"system:authenticated"}}, nil)
	if err != nil {
		_ = cp.stop()
		return nil, fmt.Errorf("provision the manager's user: %w", err)
	}
	raw, err := user.KubeConfig()
	if err != nil {
		_ = cp.stop()
		return nil, err
	}
	cp.managerKubeconfig = filepath.Join(dir, "manager.kubeconfig")
	if err := os.WriteFile(cp.managerKubeconfig, raw, 0o600); err != nil {
		_ = cp.stop()
		return nil, err
	}
	return cp, nil
}

// stop stops kube-apiserver, then etcd, and removes envtest's directories.
func (cp *controlPlane) stop() error {
	return cp.env.Stop()
}
