//go:build linux

package dev_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// stopRunsEnv sets how many runs of each way of stopping TestStopThroughPipe
// makes: 1 in `make test` (it starts a whole control plane each time), 10 to
// show ten in a row.
const stopRunsEnv = "RETENTION_DEV_STOP_RUNS"

// TestStopThroughPipe is `make dev 2>&1 | tee dev.log` stopped the two ways
// a user stops it, checking each time that no process of the run is left:
//
//   - Ctrl-C: SIGINT to the terminal's foreground process group, which holds
//     make, retentionctl and tee (tee dies at once, so the run's later
//     writes hit a closed pipe);
//   - SIGTERM to make alone (make passes it on to retentionctl);
//   - SIGKILL to retentionctl (a crash, or a third Ctrl-C's immediate exit):
//     the watchdog stops kube-apiserver and etcd, the workers die with
//     their parent.
//
// The kube-apiserver, etcd and workers are in process groups of their own,
// so only retentionctl can stop them. A process is the run's when its
// environment carries this run's marker (make, retentionctl, kube-apiserver,
// etcd, gendata) or its working directory is under the run's WorkDir (the
// workers, whose environment is their pod's).
func TestStopThroughPipe(t *testing.T) {
	requireAssets(t)
	runs := 1
	if n, err := strconv.Atoi(os.Getenv(stopRunsEnv)); err == nil && n > 0 {
		runs = n
	}
	cli, worker := buildCLI(t), buildWorker(t)
	repoDir, err := filepath.Abs(repo)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= runs; i++ {
		for _, how := range []string{"ctrl-c", "sigterm-make", "sigkill-retentionctl"} {
			t.Run(fmt.Sprintf("%s-%d", how, i), func(t *testing.T) { stopThroughPipe(t, how, cli, worker, repoDir) })
		}
	}
}

func stopThroughPipe(t *testing.T, how, cli, worker, repoDir string) {
	g := NewWithT(t)
	dir := t.TempDir()
	work := filepath.Join(dir, "work")
	marker := fmt.Sprintf("RETENTION_DEV_STOP_TEST=%d-%s", os.Getpid(), filepath.Base(dir))
	makefile := filepath.Join(dir, "Makefile")
	g.Expect(os.WriteFile(makefile, []byte(fmt.Sprintf("dev:\n\t%s dev --repo %s --workdir %s --worker %s --customers 60 --orders 300\n",
		cli, repoDir, work, worker)), 0o644)).To(Succeed())

	// The pipeline as a shell's job control builds it: make leads a new
	// process group and tee joins it, reading make's output from a pipe.
	r, w, err := os.Pipe()
	g.Expect(err).NotTo(HaveOccurred())
	mk := exec.Command("make", "--no-print-directory", "-f", makefile, "dev")
	mk.Env = append(os.Environ(), marker)
	mk.Stdout, mk.Stderr = w, w
	mk.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	g.Expect(mk.Start()).To(Succeed())
	logPath := filepath.Join(dir, "dev.log")
	tee := exec.Command("tee", logPath)
	tee.Stdin, tee.Stdout = r, nil
	tee.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: mk.Process.Pid}
	g.Expect(tee.Start()).To(Succeed())
	r.Close()
	w.Close()
	mkDone, teeDone := make(chan error, 1), make(chan error, 1)
	go func() { mkDone <- mk.Wait() }()
	go func() { teeDone <- tee.Wait() }()
	t.Cleanup(func() { killLeftovers(t, marker, work) })
	log := func() string { b, _ := os.ReadFile(logPath); return string(b) }

	// Stop it once workers run (the loyalty Deployment's pod is up) and the
	// view has written its first lines, as a user would.
	g.Eventually(func(g Gomega) {
		c := readCommand(g, work, "rewards-loyalty-0")
		g.Expect(alive(c.PID)).To(BeTrue())
		g.Expect(log()).To(MatchRegexp(`(?m)^\d\d:\d\d:\d\d Segment +shop/at-risk Ready=`))
	}, 3*time.Minute, 200*time.Millisecond).Should(Succeed(), func() string { return log() })
	g.Expect(len(runProcesses(marker, work))).To(BeNumerically(">=", 4), "make, retentionctl, kube-apiserver, etcd and workers should be running")

	switch how {
	case "ctrl-c":
		g.Expect(syscall.Kill(-mk.Process.Pid, syscall.SIGINT)).To(Succeed())
	case "sigterm-make":
		g.Expect(syscall.Kill(mk.Process.Pid, syscall.SIGTERM)).To(Succeed())
	case "sigkill-retentionctl":
		// make's own child: while retentionctl starts a worker, the forked
		// child has its command line until it execs, and killing that one
		// would leave retentionctl running.
		pid := 0
		for _, p := range runProcesses(marker, work) {
			candidate, _ := strconv.Atoi(strings.Fields(p)[0])
			if strings.Contains(p, "/retentionctl dev ") && parentOf(candidate) == mk.Process.Pid {
				pid = candidate
			}
		}
		g.Expect(pid).NotTo(BeZero(), "retentionctl not found")
		g.Expect(syscall.Kill(pid, syscall.SIGKILL)).To(Succeed())
	}
	start := time.Now()
	g.Eventually(mkDone, time.Minute).Should(Receive(), log())
	g.Eventually(teeDone, 10*time.Second).Should(Receive())
	t.Logf("%s: make exited %.1fs after the signal", how, time.Since(start).Seconds())
	// Every process of the run is gone: at once when retentionctl stopped
	// them (a moment for the kernel to reap); after a SIGKILL within the
	// watchdog's bounded stop of the API server, then etcd.
	settle := 3 * time.Second
	if how == "sigkill-retentionctl" {
		settle = 25 * time.Second
	}
	g.Eventually(func() []string { return runProcesses(marker, work) }, settle, 100*time.Millisecond).
		Should(BeEmpty(), "processes left behind after make exited")
	t.Logf("%s: no process left %.1fs after the signal", how, time.Since(start).Seconds())
	if how == "sigterm-make" {
		// tee outlived the stop, so the log has the run's last words, and
		// without a terminal the view wrote lines as things changed.
		text := log()
		g.Expect(text).To(ContainSubstring("stopping workers"))
		g.Expect(strings.Count(text, "KIND ")).To(BeZero(), "no redrawn tables through a pipe")
	}
}

// runProcesses lists "pid command" of every process of the run.
func runProcesses(marker, work string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		proc := filepath.Join("/proc", e.Name())
		env, _ := os.ReadFile(filepath.Join(proc, "environ"))
		cwd, _ := os.Readlink(filepath.Join(proc, "cwd"))
		if !bytes.Contains(env, []byte(marker)) && !strings.HasPrefix(cwd, work+"/") && cwd != work {
			continue
		}
		if stat, _ := os.ReadFile(filepath.Join(proc, "stat")); isZombie(stat) {
			continue // exited, waiting for its parent to reap it
		}
		cmd, _ := os.ReadFile(filepath.Join(proc, "cmdline"))
		out = append(out, fmt.Sprintf("%d %s", pid, strings.ReplaceAll(strings.TrimSpace(string(cmd)), "\x00", " ")))
	}
	return out
}

// parentOf reads the parent pid from /proc/PID/stat ("pid (comm) S ppid ...");
// 0 when the process is gone.
func parentOf(pid int) int {
	stat, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

// isZombie reads the state field of /proc/PID/stat ("pid (comm) S ...").
func isZombie(stat []byte) bool {
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// killLeftovers kills whatever a failed run left, so one failure does not
// leave a control plane running for the next test.
func killLeftovers(t *testing.T, marker, work string) {
	for _, p := range runProcesses(marker, work) {
		pid, _ := strconv.Atoi(strings.Fields(p)[0])
		t.Logf("killing leftover %s", p)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
