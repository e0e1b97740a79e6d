//go:build unix && !linux

package devrun

import "syscall"

// dieWithParent is Linux-only (Pdeathsig); elsewhere a retentionctl killed
// with SIGKILL leaves its workers to be stopped by hand.
func dieWithParent(*syscall.SysProcAttr) {}
