//go:build linux

package devrun

import (
	"os"
	"testing"
)

// TestWatchdogFindsTheControlPlane: the watchdog (guardControlPlane) knows
// which processes to stop: the kube-apiserver and etcd this process started
// (TestMain started them through startControlPlane, as a run does).
func TestWatchdogFindsTheControlPlane(t *testing.T) {
	pids, err := childrenByName(os.Getpid(), "kube-apiserver", "etcd")
	if err != nil {
		t.Fatal(err)
	}
	if pids["kube-apiserver"] == 0 || pids["etcd"] == 0 {
		t.Fatalf("children found: %v, want kube-apiserver and etcd", pids)
	}
	if other, _ := childrenByName(os.Getppid(), "kube-apiserver", "etcd"); len(other) != 0 {
		t.Errorf("the parent's children %v: only this process's control plane is ours", other)
	}
}
