//go:build unix

package devrun

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts the worker in its own process group, so Ctrl-C in the
// terminal reaches only retentionctl, which then stops workers in order.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	dieWithParent(cmd.SysProcAttr)
}

// signalGroup signals the worker's whole process group.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	if cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, sig)
}
