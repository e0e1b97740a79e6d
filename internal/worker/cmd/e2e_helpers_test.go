package cmd

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// workerBin is the worker binary, built once by TestMain.
var workerBin string

func TestMain(m *testing.M) {
	dir, err := buildWorker()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildWorker builds cmd/worker as workerBin in a new temporary directory
// and returns that directory, for TestMain to remove.
func buildWorker() (string, error) {
	dir, err := os.MkdirTemp("", "worker-e2e-")
	if err != nil {
		return "", err
	}
	workerBin = filepath.Join(dir, "worker")
	build := exec.Command("go", "build", "-o", workerBin, "github.com/retention-dev/retention-operator/cmd/worker")
	if out, err := build.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("go build worker: %v\n%s", err, out)
	}
	return dir, nil
}

// The shop fixture, relative to the test's now (the worker uses the real
// clock). Customers are created 400 days ago.
//
//	a  a@example.com  consent  orders: 5d ago $30, 10d ago $50
//	b  b@example.com  consent  orders: 20d ago $40
//	c  c@example.com  no consent  orders: 200d ago $300
//	d  d@example.com  consent  no orders
type shopOrder struct {
	customer, id string
	daysAgo      int
	amount       float64
}

var shopOrders = []shopOrder{{"a", "o1", 5, 30}, {"a", "o2", 10, 50}, {"b", "o3", 20, 40}, {"c", "o4", 200, 300}}

// shopSource is the fixture as a file DataSource from a ConfigMap: the
// worker reads it under workload.DataDir.
var shopSource = v1alpha1.DataSourceSpec{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatCSV,
	ConfigMapRef: &v1alpha1.ConfigMapFiles{Name: "shop-data", Keys: []string{"customers.csv", "orders.csv"}}}}

// localRun is one worker's container filesystem under RETENTION_LOCAL_ROOT,
// laid out as the controller's pod template mounts it.
type localRun struct {
	root, report string
	env          []string
	// hasSegment says a playbook's Segment spec is at segmentSpecFile.
	hasSegment bool
}

// segmentSpecFile is where a playbook run keeps its Segment's worker spec.
var segmentSpecFile = filepath.Join(filepath.Dir(workload.SpecFile), "segment-spec.json")

// runMetricJob runs the playbook's Segment metric job in the same local
// root (same state store), as the Segment's CronJob does in a cluster: the
// campaign worker enrols from the membership it stores.
func (r *localRun) runMetricJob(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, workerBin, "metrics", "--spec="+segmentSpecFile)
	cmd.Env = append(append([]string(nil), r.env...), contract.EnvReportFile+"="+filepath.Join(r.root, "segment-report.json"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("metric job of the playbook's segment: %v\n%s", err, out)
	}
}

func newLocalRun(t *testing.T, spec any) *localRun {
	t.Helper()
	root := t.TempDir()
	r := &localRun{root: root, report: filepath.Join(root, "report.json")}
	data, err := contract.Render(workerSpec(t, spec))
	if err != nil {
		t.Fatal(err)
	}
	r.write(t, workload.SpecFile, data["spec.json"])
	if pb, ok := spec.(apiPlaybook); ok {
		// The playbook's Segment, for the metric job that runs before each
		// campaign worker (campaign workers enrol from its snapshot).
		seg, err := contract.Render(pb.Segment.render(t))
		if err != nil {
			t.Fatal(err)
		}
		r.write(t, segmentSpecFile, seg["spec.json"])
		r.hasSegment = true
	}
	r.writeShop(t)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RETENTION_") && !strings.HasPrefix(kv, "KUBECONFIG=") {
			r.env = append(r.env, kv)
		}
	}
	r.env = append(r.env,
		workload.LocalRootEnv+"="+root,
		contract.EnvNamespace+"=shop",
		contract.EnvReportFile+"="+r.report,
		// The container path: the worker must root it under RETENTION_LOCAL_ROOT.
		contract.EnvStateStore+"="+workload.DefaultState)
	return r
}

// write puts content at a container path.
func (r *localRun) write(t *testing.T, containerPath, content string) {
	t.Helper()
	path := filepath.Join(r.root, containerPath)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (r *localRun) writeShop(t *testing.T) {
	t.Helper()
	now := time.Now().UTC()
	created := now.AddDate(0, 0, -400).Format(time.RFC3339)
	customers := [][]string{{"id", "email", "created_at", "consent_email"}}
	for _, c := range []struct {
		id      string
		consent bool
	}{{"a", true}, {"b", true}, {"c", false}, {"d", true}} {
		customers = append(customers, []string{c.id, c.id + "@example.com", created, strconv.FormatBool(c.consent)})
	}
	orders := [][]string{{"customer_id", "order_id", "amount", "occurred_at"}}
	for _, o := range shopOrders {
		orders = append(orders, []string{o.customer, o.id, strconv.FormatFloat(o.amount, 'f', 2, 64),
			now.AddDate(0, 0, -o.daysAgo).Format(time.RFC3339)})
	}
	r.write(t, workload.DataDir+"/customers.csv", csvText(t, customers))
	r.write(t, workload.DataDir+"/orders.csv", csvText(t, orders))
}

func csvText(t *testing.T, rows [][]string) string {
	t.Helper()
	var b strings.Builder
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// run runs the worker to completion with the controller's arguments.
func (r *localRun) run(t *testing.T, sub string, extra ...string) (stdout, stderr string, err error) {
	t.Helper()
	if sub == "campaign" && r.hasSegment {
		r.runMetricJob(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := r.command(ctx, sub, extra...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// command is exactly what the pod runs: /worker <sub> --spec=<SpecFile>.
func (r *localRun) command(ctx context.Context, sub string, extra ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, workerBin, append([]string{sub, "--spec=" + workload.SpecFile}, extra...)...)
	cmd.Env = r.env
	return cmd
}

// campaignOnce runs `worker campaign --once` as run i of a test, failing
// the test if it fails, and returns its stdout whole and as lines.
func (r *localRun) campaignOnce(t *testing.T, i int) (string, []string) {
	t.Helper()
	stdout, stderr, err := r.run(t, "campaign", "--once", "--poll-interval=50ms")
	if err != nil {
		t.Fatalf("campaign run %d: %v\n%s", i, err, stderr)
	}
	t.Logf("run %d stdout %q", i, stdout)
	return stdout, strings.Split(strings.TrimSpace(stdout), "\n")
}

// remindsOnce runs `worker campaign --once` as runs i and i+1 of a test:
// run i sends exactly one message, whose console line starts with
// wantLine (wantWhat says which in the error), and run i+1 sends nothing
// (why says why not).
func (r *localRun) remindsOnce(t *testing.T, i int, wantLine, wantWhat, why string) {
	t.Helper()
	if stdout, lines := r.campaignOnce(t, i); len(lines) != 1 || !strings.HasPrefix(lines[0], wantLine) {
		t.Errorf("run %d stdout %q, want one message to %s", i, stdout, wantWhat)
	}
	if stdout, _ := r.campaignOnce(t, i+1); strings.TrimSpace(stdout) != "" {
		t.Errorf("run %d stdout %q, want nothing (%s)", i+1, stdout, why)
	}
}

// sharing points the run's workers at the state store state (a PostgreSQL
// DSN other runs share) instead of the run's own SQLite file.
func (r *localRun) sharing(state string) *localRun {
	r.env = append(r.env, contract.EnvStateStore+"="+state)
	return r
}

// mountRewardsAdminToken mounts the admin token of program "rewards" where a
// campaign run reads it (loyalty/rewards/admin).
func (r *localRun) mountRewardsAdminToken(t *testing.T) {
	t.Helper()
	r.write(t, workload.SecretsDir+"/"+contract.LoyaltyTokensDir+"/rewards/admin", e2eAdminToken)
}

// startCampaign starts `worker campaign --poll-interval=poll` until ctx
// ends, with its stdout piped and its stderr collected.
func (r *localRun) startCampaign(t *testing.T, ctx context.Context, poll string) (*exec.Cmd, io.ReadCloser, *strings.Builder) {
	t.Helper()
	cmd := r.command(ctx, "campaign", "--poll-interval="+poll)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &strings.Builder{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, stdout, stderr
}

// awaitMessages reads n lines (messages of the console channel) from sc;
// the test fails with the worker's stderr if stdout ends first.
func awaitMessages(t *testing.T, sc *bufio.Scanner, n int, stderr *strings.Builder) {
	t.Helper()
	for i := 0; i < n; i++ {
		if !sc.Scan() {
			t.Fatalf("stdout ended after %d messages\n%s", i, stderr.String())
		}
	}
}

// readReport decodes the published summary.
func (r *localRun) readReport(t *testing.T, v any) {
	t.Helper()
	b, err := os.ReadFile(r.report)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("report %s: %v", b, err)
	}
}

// logLines collects a running worker's JSON log lines from stderr.
type logLines struct {
	mu    sync.Mutex
	lines []map[string]any
	raw   []string
}

func (l *logLines) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var m map[string]any
		_ = json.Unmarshal(sc.Bytes(), &m)
		l.mu.Lock()
		l.lines = append(l.lines, m)
		l.raw = append(l.raw, sc.Text())
		l.mu.Unlock()
	}
}

// waitFor returns the first log line with msg, polling until timeout.
func (l *logLines) waitFor(t *testing.T, msg string, timeout time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		for _, m := range l.lines {
			if m != nil && m["msg"] == msg {
				l.mu.Unlock()
				return m
			}
		}
		l.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no log line %q within %v; stderr:\n%s", msg, timeout, l.String())
	return nil
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.raw, "\n")
}
