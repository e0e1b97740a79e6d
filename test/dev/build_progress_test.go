package dev_test

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBuildProgress: hack/build-k8s-binaries.sh runs each `go build -v`
// through with_progress (hack/progress.sh), which prints a line with the
// packages compiled so far and the time elapsed every PROGRESS_SECONDS, so
// the cold kube-apiserver build is never minutes of silence; a failed build
// still shows the compiler's output and its exit status.
func TestBuildProgress(t *testing.T) {
	lib, err := filepath.Abs(filepath.Join(repo, "hack", "progress.sh"))
	if err != nil {
		t.Fatal(err)
	}
	run := func(script string) (string, error) {
		cmd := exec.Command("bash", "-c", "set -euo pipefail; source "+lib+"; "+script)
		cmd.Env = append(cmd.Environ(), "PROGRESS_SECONDS=1")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// A fake build naming two packages, then compiling for 2.5 s.
	out, err := run(`with_progress kube-apiserver sh -c 'echo k8s.io/a >&2; echo k8s.io/b >&2; sleep 2.5'`)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	beat := regexp.MustCompile(`(?m)^>> kube-apiserver: 2 packages compiled, 0m0[12]s elapsed$`)
	if !beat.MatchString(out) {
		t.Errorf("no heartbeat with the package count and elapsed time:\n%s", out)
	}
	if !strings.Contains(out, ">> kube-apiserver: done, 2 packages compiled in 0m0") {
		t.Errorf("no final line:\n%s", out)
	}
	if strings.Contains(out, "k8s.io/a") {
		t.Errorf("package names are counted, not listed:\n%s", out)
	}

	out, err = run(`with_progress etcd sh -c 'echo go.etcd.io/x >&2; echo "x.go:1:2: undefined: y" >&2; exit 3'`)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Errorf("failed build: err %v, want exit status 3\n%s", err, out)
	}
	if !strings.Contains(out, "x.go:1:2: undefined: y") || !strings.Contains(out, ">> etcd: failed after") {
		t.Errorf("failed build does not show the compiler's error:\n%s", out)
	}
}
