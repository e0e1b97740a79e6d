// Package dev_test runs `retentionctl dev` end to end: a real kube-apiserver
// and etcd, the production manager, config/samples with freshly generated
// data, and the built worker binary run as local processes by the local
// kubelet. Nothing is faked: figures come from the metric jobs and campaign
// workers themselves.
package dev_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/devrun"
	"github.com/retention-dev/retention-operator/internal/operator"
)

const repo = "../.."

// binDir holds the binaries the tests build, removed after the tests.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "devrun-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// goBuild builds ./cmd/NAME into binDir, once per test binary however often
// the result is asked for.
func goBuild(name string) func() (string, error) {
	return sync.OnceValues(func() (string, error) {
		bin := filepath.Join(binDir, name)
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/"+name)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", errors.New("go build ./cmd/" + name + ": " + err.Error() + "\n" + string(out))
		}
		return bin, nil
	})
}

// The tests run `retentionctl dev` as a user does, as a process that gets
// SIGINT on Ctrl-C and has an exit code, with the built worker.
var (
	workerBuild = goBuild("worker")
	cliBuild    = goBuild("retentionctl")
)

func buildWorker(t *testing.T) string { return built(t, workerBuild) }

func buildCLI(t *testing.T) string { return built(t, cliBuild) }

func built(t *testing.T, build func() (string, error)) string {
	t.Helper()
	bin, err := build()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func requireAssets(t *testing.T) {
	t.Helper()
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(repo, "bin", "k8s")
	}
	if _, err := os.Stat(filepath.Join(assets, "kube-apiserver")); err != nil {
		t.Fatalf("no kube-apiserver in %s: run `make k8s-binaries` first (%v)", assets, err)
	}
}

// syncBuffer collects the run's terminal output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startDev starts `retentionctl dev`; its stdout and stderr go to out.
func startDev(t *testing.T, work string, out io.Writer, extra ...string) *exec.Cmd {
	t.Helper()
	abs, err := filepath.Abs(repo)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"dev", "--repo", abs, "--workdir", work, "--worker", buildWorker(t)}, extra...)
	cmd := exec.Command(buildCLI(t), args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(os.Interrupt)
			_ = cmd.Wait()
		}
	})
	return cmd
}

// TestOnce is `retentionctl dev --once`: it exits 0 after printing a table
// in which every sample is Ready with real figures, each line fitting 100 columns.
func TestOnce(t *testing.T) {
	requireAssets(t)
	g := NewWithT(t)
	work := t.TempDir()
	out := &syncBuffer{}
	cmd := startDev(t, work, out, "--once", "--timeout", "3m")
	g.Expect(cmd.Wait()).To(Succeed(), out.String())
	text := out.String()
	table := text[strings.LastIndex(text, "KIND "):]
	for _, line := range strings.Split(table, "\n") {
		g.Expect(len([]rune(line))).To(BeNumerically("<=", 100), line)
	}
	// Every DataSource, Channel, Segment, LoyaltyProgram and Playbook of
	// config/samples (counted from the files, so a new sample needs no edit
	// here; 21 before the A/B test sample), all Ready.
	rows, want := 0, sampleObjects(g)
	g.Expect(want).To(BeNumerically(">=", 21))
	for _, line := range strings.Split(table, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 3 || !strings.Contains("DataSource Channel Segment LoyaltyProgram Playbook", f[0]) {
			continue
		}
		rows++
		g.Expect(f[2]).To(Equal("True"), line)
		if f[0] == "Segment" {
			g.Expect(line).To(MatchRegexp(`size=\d+ entered=\d+ exited=\d+`))
		}
	}
	g.Expect(rows).To(Equal(want), "%s", table)
	g.Expect(table).To(MatchRegexp(`LoyaltyProgram rewards +True +members=[1-9]\d* liability=\d+\.\d\d EUR`))
	// The demo data was generated to end now, not at the committed date.
	orders, err := os.ReadFile(filepath.Join(work, "data", "orders.csv"))
	g.Expect(err).NotTo(HaveOccurred())
	var latest time.Time
	for _, line := range strings.Split(strings.TrimSpace(string(orders)), "\n")[1:] {
		f := strings.Split(line, ",")
		at, err := time.Parse(time.RFC3339, f[len(f)-1])
		g.Expect(err).NotTo(HaveOccurred(), line)
		if at.After(latest) {
			latest = at
		}
	}
	g.Expect(latest).To(BeTemporally("<=", time.Now()))
	g.Expect(latest).To(BeTemporally(">", time.Now().AddDate(0, 0, -7)), "the newest order should be recent")
	// Logs are kept after the run.
	for _, f := range []string{"manager.log", "console.log", "at-risk-metrics.log", "rewards-loyalty-0.log"} {
		g.Expect(filepath.Join(work, "logs", f)).To(BeAnExistingFile())
	}
}

// TestLocalRun drives a live run like a user in a second terminal: it reads
// the cluster through .dev/kubeconfig, checks what the local kubelet started,
// suspends and resumes a Playbook, edits it, kills a worker, and stops the
// run, which must leave no worker process behind.
func TestLocalRun(t *testing.T) {
	requireAssets(t)
	g := NewWithT(t)
	work := t.TempDir()
	out := &syncBuffer{}
	worker := buildWorker(t)
	cmd := startDev(t, work, out, "--timeout", "4m")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	kubeconfig := filepath.Join(work, "kubeconfig")
	g.Eventually(func() string { return kubeconfig }, time.Minute, 200*time.Millisecond).Should(BeAnExistingFile())
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	g.Expect(err).NotTo(HaveOccurred())
	k8s, err := client.New(cfg, client.Options{Scheme: operator.Scheme()})
	g.Expect(err).NotTo(HaveOccurred())
	ctxT := context.Background()
	key := func(name string) client.ObjectKey { return client.ObjectKey{Namespace: "shop", Name: name} }

	// Every sample Ready; every Segment measured by its metric job (a process
	// the local kubelet ran); the console channel printed messages, each
	// prefixed with the Playbook that sent it.
	g.Eventually(func(g Gomega) {
		for _, list := range []client.ObjectList{&v1alpha1.DataSourceList{}, &v1alpha1.ChannelList{},
			&v1alpha1.SegmentList{}, &v1alpha1.LoyaltyProgramList{}, &v1alpha1.PlaybookList{}} {
			g.Expect(k8s.List(ctxT, list, client.InNamespace("shop"))).To(Succeed())
			items, _ := meta.ExtractList(list)
			g.Expect(items).NotTo(BeEmpty())
			for _, it := range items {
				obj := it.(interface {
					client.Object
					GetConditions() *[]metav1.Condition
				})
				c := meta.FindStatusCondition(*obj.GetConditions(), v1alpha1.ConditionReady)
				g.Expect(c).NotTo(BeNil(), obj.GetName())
				g.Expect(c.Status).To(Equal(metav1.ConditionTrue), "%s: %s %s", obj.GetName(), c.Reason, c.Message)
			}
		}
		var segs v1alpha1.SegmentList
		g.Expect(k8s.List(ctxT, &segs, client.InNamespace("shop"))).To(Succeed())
		for _, s := range segs.Items {
			g.Expect(s.Status.Size).NotTo(BeNil(), "segment %s has not been measured", s.Name)
			g.Expect(s.Status.LastRunTime).NotTo(BeNil())
		}
		g.Expect(out.String()).To(MatchRegexp(`(?m)^[a-z-]+ \| \[console\] to=\S+ subject=".+" step=\S+ key=\S+$`))
	}, 2*time.Minute, time.Second).Should(Succeed(), func() string { return out.String() + runState(done) })

	// A Segment on an every-minute schedule: its job runs at once, then again
	// at the next minute (checked near the end, to overlap the waiting).
	g.Expect(k8s.Create(ctxT, &v1alpha1.Segment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "every-minute"},
		Spec: v1alpha1.SegmentSpec{DataSourceRef: v1alpha1.LocalObjectReference{Name: "shop"},
			Criteria: "customer.frequency >= 1", Schedule: "* * * * *", Window: "30d"}})).To(Succeed())
	var firstRun time.Time
	g.Eventually(func(g Gomega) {
		var cj batchv1.CronJob
		g.Expect(k8s.Get(ctxT, key("every-minute-metrics"), &cj)).To(Succeed())
		g.Expect(cj.Status.LastScheduleTime).NotTo(BeNil())
		g.Expect(cj.Status.LastSuccessfulTime).NotTo(BeNil())
		firstRun = cj.Status.LastScheduleTime.Time
	}, time.Minute, 200*time.Millisecond).Should(Succeed(), func() string { return out.String() + runState(done) })

	var atRisk v1alpha1.Segment
	g.Expect(k8s.Get(ctxT, key("at-risk"), &atRisk)).To(Succeed())
	g.Expect(*atRisk.Status.Size).To(BeNumerically(">", 0), "demo data ends now, so some customers are at risk")

	// The campaign worker runs exactly its pod's command, args and env.
	var dep appsv1.Deployment
	g.Expect(k8s.Get(ctxT, key("at-risk-winback-campaign"), &dep)).To(Succeed())
	ctr := dep.Spec.Template.Spec.Containers[0]
	first := readCommand(g, work, "at-risk-winback-campaign-0")
	g.Expect(first.Args).To(Equal(append([]string{worker}, ctr.Args...)))
	g.Expect(ctr.Command).To(Equal([]string{"/worker"}))
	var podEnv []string
	for _, e := range ctr.Env {
		if e.Name == contract.EnvMemoryLimit {
			continue // the container's limit: nothing to a local process, which runs without it
		}
		g.Expect(e.ValueFrom).To(BeNil(), "samples use plain env; %s", e.Name)
		podEnv = append(podEnv, e.Name+"="+e.Value)
	}
	root := filepath.Join(work, "pods", "at-risk-winback-campaign-0")
	g.Expect(first.Env).To(Equal(append(podEnv,
		"RETENTION_LOCAL_ROOT="+root,
		"KUBECONFIG="+filepath.Join(work, "identities", "shop-"+dep.Spec.Template.Spec.ServiceAccountName+".kubeconfig"),
		"TMPDIR="+filepath.Join(root, "tmp"))))
	g.Expect(first.Env).To(ContainElements("RETENTION_NAMESPACE=shop", "RETENTION_REPORT_CONFIGMAP=at-risk-winback-campaign-report"))
	g.Expect(filepath.Join(root, "etc", "retention", "spec.json")).To(BeAnExistingFile())
	g.Expect(filepath.Join(root, "var", "run", "secrets", "retention", "loyalty", "rewards", "token")).To(BeAnExistingFile())
	state, err := os.Readlink(filepath.Join(root, "var", "lib", "retention", "state"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(state).To(Equal(filepath.Join(work, "state", "shop")), "one state store per namespace")
	g.Expect(alive(first.PID)).To(BeTrue())

	// Suspend: the Deployment goes to zero and the process is stopped.
	setSuspend(g, k8s, "at-risk-winback", true)
	g.Eventually(func() bool { return alive(first.PID) }, 30*time.Second, 200*time.Millisecond).Should(BeFalse())
	g.Eventually(func(g Gomega) {
		g.Expect(k8s.Get(ctxT, key("at-risk-winback-campaign"), &dep)).To(Succeed())
		g.Expect(*dep.Spec.Replicas).To(BeZero())
		g.Expect(dep.Status.Replicas).To(BeZero())
	}, 30*time.Second, 200*time.Millisecond).Should(Succeed())

	// Resume: a new process, the Deployment available, the Playbook Ready.
	setSuspend(g, k8s, "at-risk-winback", false)
	resumed := waitNewProcess(g, work, "at-risk-winback-campaign-0", first.PID)
	waitAvailable(g, k8s, "at-risk-winback-campaign")

	// A spec edit changes the pod template's spec hash: the pod is replaced.
	var pb v1alpha1.Playbook
	g.Expect(k8s.Get(ctxT, key("at-risk-winback"), &pb)).To(Succeed())
	before := pb.DeepCopy()
	pb.Spec.HoldoutPercent = 25
	g.Expect(k8s.Patch(ctxT, &pb, client.MergeFrom(before))).To(Succeed()) // as setSuspend: no conflict with status writes
	edited := waitNewProcess(g, work, "at-risk-winback-campaign-0", resumed.PID)
	g.Expect(alive(resumed.PID)).To(BeFalse())
	spec, err := os.ReadFile(filepath.Join(root, "etc", "retention", "spec.json"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(spec)).To(ContainSubstring(`"HoldoutPercent": 25`)) // the engine configuration (journey.Config)

	// A crash is restarted, like a kubelet with restartPolicy Always.
	g.Expect(syscall.Kill(edited.PID, syscall.SIGKILL)).To(Succeed())
	restarted := waitNewProcess(g, work, "at-risk-winback-campaign-0", edited.PID)
	waitAvailable(g, k8s, "at-risk-winback-campaign")
	logText, err := os.ReadFile(filepath.Join(work, "logs", "at-risk-winback-campaign-0.log"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(logText)).To(ContainSubstring("exit: signal: killed"))

	// A rotated Secret reaches the running loyalty API's mounted file
	// without a restart, as a kubelet refreshes Secret volumes.
	loyalty := readCommand(g, work, "rewards-loyalty-0")
	var token corev1.Secret
	g.Expect(k8s.Get(ctxT, key("loyalty-api-token"), &token)).To(Succeed())
	token.Data = map[string][]byte{"token": []byte("rotated-token")}
	g.Expect(k8s.Update(ctxT, &token)).To(Succeed())
	tokenFile := filepath.Join(work, "pods", "rewards-loyalty-0", "var", "run", "secrets", "retention", "api-token", "token")
	g.Eventually(func() string { b, _ := os.ReadFile(tokenFile); return string(b) }, 15*time.Second, 200*time.Millisecond).
		Should(Equal("rotated-token"))
	g.Expect(readCommand(g, work, "rewards-loyalty-0").PID).To(Equal(loyalty.PID))

	// The every-minute Segment's job ran again on its schedule, and its
	// figures are in status.
	g.Eventually(func(g Gomega) {
		var cj batchv1.CronJob
		g.Expect(k8s.Get(ctxT, key("every-minute-metrics"), &cj)).To(Succeed())
		g.Expect(cj.Status.LastScheduleTime.Time).To(BeTemporally(">", firstRun))
		next := firstRun.Truncate(time.Minute).Add(time.Minute)
		g.Expect(cj.Status.LastScheduleTime.Time).To(BeTemporally("~", next, 5*time.Second), "runs at the minute")
	}, 75*time.Second, 500*time.Millisecond).Should(Succeed())
	var everyMinute v1alpha1.Segment
	g.Expect(k8s.Get(ctxT, key("every-minute"), &everyMinute)).To(Succeed())
	g.Expect(everyMinute.Status.Size).NotTo(BeNil())
	g.Expect(*everyMinute.Status.Size).To(BeNumerically(">", 0))

	// Deleting a Playbook garbage-collects its Deployment, which stops its worker.
	survey := readCommand(g, work, "nps-survey-campaign-0")
	g.Expect(alive(survey.PID)).To(BeTrue())
	g.Expect(k8s.Delete(ctxT, &v1alpha1.Playbook{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "nps-survey"}})).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(ctxT, key("nps-survey-campaign"), &appsv1.Deployment{}))
	}, 30*time.Second, 200*time.Millisecond).Should(BeTrue())
	g.Eventually(func() bool { return alive(survey.PID) }, 30*time.Second, 200*time.Millisecond).Should(BeFalse())

	// Stopping the run stops every worker and keeps the logs.
	pids := allPIDs(g, work)
	g.Expect(pids).To(ContainElement(restarted.PID))
	g.Expect(cmd.Process.Signal(os.Interrupt)).To(Succeed()) // Ctrl-C
	g.Eventually(done, time.Minute).Should(Receive(BeNil()), out.String())
	g.Expect(out.String()).To(ContainSubstring("stopping workers"))
	for pod, pid := range pids {
		g.Expect(alive(pid)).To(BeFalse(), "%s (pid %d) still running", pod, pid)
	}
	g.Expect(filepath.Join(work, "logs", "console.log")).To(BeAnExistingFile())
	g.Expect(filepath.Join(work, "kubeconfig")).To(BeAnExistingFile())
}

// runState says whether Run has returned, for failure messages.
func runState(done chan error) string {
	select {
	case err := <-done:
		done <- err
		return fmt.Sprintf("\nRun returned early: %v", err)
	default:
		return "\nRun is still running"
	}
}

func readCommand(g Gomega, work, pod string) devrun.Command {
	var c devrun.Command
	b, err := os.ReadFile(filepath.Join(work, "pods", pod, devrun.CommandFile))
	g.ExpectWithOffset(1, err).NotTo(HaveOccurred())
	g.ExpectWithOffset(1, json.Unmarshal(b, &c)).To(Succeed())
	return c
}

func waitNewProcess(g Gomega, work, pod string, oldPID int) devrun.Command {
	var c devrun.Command
	g.EventuallyWithOffset(1, func(g Gomega) {
		c = readCommand(g, work, pod)
		g.Expect(c.PID).NotTo(Equal(oldPID))
		g.Expect(alive(c.PID)).To(BeTrue())
	}, time.Minute, 200*time.Millisecond).Should(Succeed())
	return c
}

func waitAvailable(g Gomega, k8s client.Client, name string) {
	g.EventuallyWithOffset(1, func(g Gomega) {
		var dep appsv1.Deployment
		g.Expect(k8s.Get(context.Background(), client.ObjectKey{Namespace: "shop", Name: name}, &dep)).To(Succeed())
		g.Expect(dep.Status.ObservedGeneration).To(Equal(dep.Generation))
		g.Expect(dep.Status.AvailableReplicas).To(Equal(*dep.Spec.Replicas))
		g.Expect(*dep.Spec.Replicas).To(BeNumerically(">", 0))
	}, time.Minute, 200*time.Millisecond).Should(Succeed())
}

func setSuspend(g Gomega, k8s client.Client, name string, suspend bool) {
	var pb v1alpha1.Playbook
	g.ExpectWithOffset(1, k8s.Get(context.Background(), client.ObjectKey{Namespace: "shop", Name: name}, &pb)).To(Succeed())
	// A merge patch, as `kubectl patch` sends: no resourceVersion
	// precondition, so a status write by the controller in between does not
	// make it conflict.
	before := pb.DeepCopy()
	pb.Spec.Suspend = suspend
	g.ExpectWithOffset(1, k8s.Patch(context.Background(), &pb, client.MergeFrom(before))).To(Succeed())
}

// allPIDs is the last process of every local pod.
func allPIDs(g Gomega, work string) map[string]int {
	entries, err := os.ReadDir(filepath.Join(work, "pods"))
	g.ExpectWithOffset(1, err).NotTo(HaveOccurred())
	out := map[string]int{}
	for _, e := range entries {
		out[e.Name()] = readCommand(g, work, e.Name()).PID
	}
	return out
}

// alive reports whether a process exists (the local kubelet reaps its children).
func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// TestSecondInterrupt: a second Ctrl-C kills a worker that ignores SIGTERM
// at once instead of after its 5 s grace, and the run still stops the API
// server and etcd and exits 0.
func TestSecondInterrupt(t *testing.T) {
	requireAssets(t)
	g := NewWithT(t)
	work := t.TempDir()
	// A worker that ignores SIGTERM, as a stuck one would.
	stubborn := filepath.Join(t.TempDir(), "worker")
	g.Expect(os.WriteFile(stubborn, []byte("#!/bin/sh\ntrap '' TERM\nwhile :; do sleep 1; done\n"), 0o755)).To(Succeed())
	out := &syncBuffer{}
	cmd := startDev(t, work, out, "--timeout", "3m", "--worker", stubborn)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var loyalty devrun.Command
	g.Eventually(func(g Gomega) {
		loyalty = readCommand(g, work, "rewards-loyalty-0")
		g.Expect(alive(loyalty.PID)).To(BeTrue())
	}, 2*time.Minute, 200*time.Millisecond).Should(Succeed(), out.String())
	kubeconfig, err := os.ReadFile(filepath.Join(work, "kubeconfig"))
	g.Expect(err).NotTo(HaveOccurred())
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(cmd.Process.Signal(os.Interrupt)).To(Succeed())
	// Apart, so the kernel does not merge them into one pending signal.
	time.Sleep(500 * time.Millisecond)
	g.Expect(alive(loyalty.PID)).To(BeTrue(), "SIGTERM is ignored; only SIGKILL stops it")
	start := time.Now()
	g.Expect(cmd.Process.Signal(os.Interrupt)).To(Succeed())
	g.Eventually(done, 30*time.Second).Should(Receive(BeNil()), out.String())
	g.Expect(alive(loyalty.PID)).To(BeFalse())
	g.Expect(time.Since(start)).To(BeNumerically("<", 4500*time.Millisecond), "the 5 s grace was not cut short")
	g.Expect(out.String()).To(ContainSubstring("killing workers now"))
	// The API server is gone too.
	cfg.Timeout = 2 * time.Second
	k8s, err := client.New(cfg, client.Options{Scheme: operator.Scheme()})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(k8s.List(context.Background(), &v1alpha1.PlaybookList{})).NotTo(Succeed())
}

// TestOnceTimeout: when workers cannot run, --once fails after --timeout,
// printing the last table (which says what is not Ready and why).
func TestOnceTimeout(t *testing.T) {
	requireAssets(t)
	g := NewWithT(t)
	work := t.TempDir()
	out := &syncBuffer{}
	cmd := startDev(t, work, out, "--once", "--timeout", "40s", "--worker", "/bin/false")
	err := cmd.Wait()
	var exit *exec.ExitError
	g.Expect(errors.As(err, &exit)).To(BeTrue(), "%v\n%s", err, out.String())
	g.Expect(exit.ExitCode()).NotTo(BeZero())
	text := out.String()
	g.Expect(text).To(ContainSubstring("not every resource became Ready before the timeout (40s)"))
	g.Expect(text).To(MatchRegexp(`LoyaltyProgram +rewards +False +WorkloadNotAvailable: deployment "rewards-loyalty"`))
	g.Expect(text).To(MatchRegexp(`Playbook +at-risk-winback +False `))
	g.Expect(text).To(MatchRegexp(`workers 0/\d+ up, [1-9]\d* restarts`))
}

// sampleObjects counts the objects of the five kinds in config/samples.
func sampleObjects(g Gomega) int {
	files, err := filepath.Glob(filepath.Join(repo, "config", "samples", "*.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	kind := regexp.MustCompile(`(?m)^kind: (DataSource|Channel|Segment|LoyaltyProgram|Playbook)\s*$`)
	n := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		g.Expect(err).NotTo(HaveOccurred())
		n += len(kind.FindAll(raw, -1))
	}
	return n
}
