//go:build linux

package devrun

import "syscall"

// dieWithParent has the kernel stop a worker if retentionctl itself dies
// (a second Ctrl-C, kill -9): the workers are in their own process group,
// so nothing else would.
func dieWithParent(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGKILL
}
