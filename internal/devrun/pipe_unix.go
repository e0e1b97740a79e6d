//go:build unix

package devrun

import (
	"os"
	"os/signal"
	"syscall"
)

// surviveClosedOutput keeps a closed stdout from killing the run. Through a
// pipe (`make dev 2>&1 | tee dev.log`) Ctrl-C reaches tee too, which exits
// at once; Go kills a program whose write to a broken stdout raises SIGPIPE,
// so the run died before stopping workers, manager, kube-apiserver and etcd
// (which then ran on, reparented to PID 1). With SIGPIPE notified the write
// fails with EPIPE instead, which the run ignores, and the stop goes on.
// The returned function restores the default.
func surviveClosedOutput() (restore func()) {
	c := make(chan os.Signal, 1) // never read: Notify drops signals when full
	signal.Notify(c, syscall.SIGPIPE)
	return func() { signal.Stop(c) }
}
