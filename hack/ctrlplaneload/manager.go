package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// managerProcess is the manager binary, run with the flags the chart gives
// it (charts/retention-operator/templates/deployment.yaml): metrics on a
// secure port, a health probe port, leader election.
type managerProcess struct {
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	err     error
}

func startManager(o options, dir, kubeconfig string) (*managerProcess, error) {
	metricsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	probePort, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{
		"--metrics-bind-address=:" + strconv.Itoa(metricsPort),
		"--health-probe-bind-address=:" + strconv.Itoa(probePort),
		"--leader-elect",
		// In a pod the lease goes to the pod's namespace; out of a cluster it must be named.
		"--leader-election-namespace=" + leaderNamespace,
	}
	args = append(args, strings.Fields(o.managerArgs)...)
	m := &managerProcess{logPath: filepath.Join(dir, "manager.log"), exited: make(chan struct{})}
	logFile, err := os.Create(m.logPath)
	if err != nil {
		return nil, err
	}
	m.cmd = exec.Command(o.manager, args...)
	m.cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "RETENTION_WORKER_IMAGE=ghcr.io/retention-dev/retention-operator:bench")
	m.cmd.Stdout, m.cmd.Stderr = logFile, logFile
	// The manager dies with this process even if it is killed outright.
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	fmt.Printf("== starting %s %s\n", filepath.Base(o.manager), strings.Join(args, " "))
	if err := m.cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	go func() {
		m.err = m.cmd.Wait()
		logFile.Close()
		close(m.exited)
	}()
	return m, nil
}

// failed returns an error, with the log's tail, once the manager has exited.
func (m *managerProcess) failed() error {
	select {
	case <-m.exited:
		return fmt.Errorf("manager exited (%v); last log lines:\n%s", m.err, tail(m.logPath, 20))
	default:
		return nil
	}
}

// stop sends SIGTERM (a graceful shutdown releases the lease), then SIGKILL after 10 s.
func (m *managerProcess) stop() {
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.exited
	}
}

// memory returns the manager's peak and current resident set in MiB.
func (m *managerProcess) memory() (hwm, rss float64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", m.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "VmHWM:":
			hwm = kb / 1024
		case "VmRSS:":
			rss = kb / 1024
		}
	}
	return hwm, rss, s.Err()
}

// cpuSeconds is the manager's user+system CPU time so far (/proc/PID/stat).
func (m *managerProcess) cpuSeconds() float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", m.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return -1
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(path string, n int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
