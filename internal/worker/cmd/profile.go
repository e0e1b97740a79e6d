package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"

	"github.com/retention-dev/retention-operator/internal/contract"
)

// startCPUProfile starts a CPU profile of this run when
// contract.EnvCPUProfileDir is set, written to <dir>/<command>.cpu.pprof
// (one file per command, so the workers a load script starts side by side
// with the same environment do not overwrite each other's), and a heap
// profile at the live heap's peak (profileHeapPeak). The returned stop
// writes them out; it is a no-op without the variable.
func startCPUProfile(command string) (stop func(), err error) {
	dir := os.Getenv(contract.EnvCPUProfileDir)
	if dir == "" {
		return func() {}, nil
	}
	f, err := os.Create(filepath.Join(dir, command+".cpu.pprof"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", contract.EnvCPUProfileDir, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", contract.EnvCPUProfileDir, err)
	}
	heapDone := make(chan struct{})
	go profileHeapPeak(dir, command, heapDone)
	return func() {
		close(heapDone)
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// commandName is the first argument that is not a flag ("worker" when none).
func commandName(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return filepath.Base(a)
		}
	}
	return "worker"
}
