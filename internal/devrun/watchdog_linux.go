//go:build linux

package devrun

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
)

// watchdogScript waits; on SIGTERM it stops process group $1 (the API
// server) with SIGTERM, SIGKILL after $3 tenths of a second, and then group
// $2 (etcd) the same way: the order and bound of a normal stop.
// (No "--" before the negative pid: dash's kill rejects it.)
const watchdogScript = `stop() {
  kill -TERM "-$1" 2>/dev/null
  i=0
  while kill -0 "-$1" 2>/dev/null && [ "$i" -lt "$2" ]; do sleep 0.1; i=$((i+1)); done
  kill -KILL "-$1" 2>/dev/null
}
trap 'stop "$1" "$3"; stop "$2" "$3"; exit 0' TERM
while :; do sleep 1; done`

// guardControlPlane starts a watchdog that stops kube-apiserver, then etcd,
// if this process dies without stopping them itself (kill -9, a third
// Ctrl-C, a crash): envtest starts both in process groups of their own and
// cannot give them a parent-death signal, so without it they would run on,
// reparented to PID 1. The watchdog gets SIGTERM from the kernel when this
// process dies (Pdeathsig). stop ends the watchdog for a normal stop.
func guardControlPlane() (stop func(), err error) {
	pids, err := childrenByName(os.Getpid(), "kube-apiserver", "etcd")
	if err != nil {
		return nil, err
	}
	api, etcd := pids["kube-apiserver"], pids["etcd"]
	if api == 0 || etcd == 0 {
		return nil, fmt.Errorf("watchdog: kube-apiserver (pid %d) or etcd (pid %d) not found among this process's children", api, etcd)
	}
	tenths := strconv.Itoa(int(controlPlaneStopGrace.Seconds() * 10))
	cmd := exec.Command("/bin/sh", "-c", watchdogScript, "watchdog", strconv.Itoa(api), strconv.Itoa(etcd), tenths)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("watchdog: %w", err)
	}
	return func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}, nil
}

// childrenByName finds the direct children of parent by command name
// (/proc/PID/stat: "pid (comm) state ppid ...").
func childrenByName(parent int, names ...string) (map[string]int, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	found := map[string]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		open, end := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
		if open < 0 || end < open {
			continue
		}
		comm := string(stat[open+1 : end])
		fields := bytes.Fields(stat[end+1:])
		if len(fields) < 2 || !want[comm] {
			continue
		}
		if ppid, _ := strconv.Atoi(string(fields[1])); ppid == parent {
			found[comm] = pid
		}
	}
	return found, nil
}
