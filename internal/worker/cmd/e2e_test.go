package cmd

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// shopSegment: members a and b (frequency >= 1, monetary < 150), over a
// 30-day window that holds a's two orders ($30, $50) and b's one ($40).
func shopSegment() apiSegment {
	return apiSegment{Namespace: "shop", Name: "active-small",
		Spec: v1alpha1.SegmentSpec{DataSourceRef: v1alpha1.LocalObjectReference{Name: "shop"},
			Criteria: `customer.frequency >= 1 && customer.monetary < 150.0`, Window: "30d",
			Metrics: []v1alpha1.MetricName{"repeatPurchaseRate", "purchaseFrequency", "averageOrderValue", "historicalCLV"}},
		DataSource: shopSource}
}

// `worker metrics` run twice as the CronJob would: the report file holds
// hand-computed figures, and the second run sees the first run's snapshot in
// the SQLite state store, which must live under RETENTION_LOCAL_ROOT.
//
//	customers 4; members {a, b}: size 2
//	repeatPurchaseRate: window buyers a b, repeaters a -> 1/2 = 50.00
//	purchaseFrequency:  3 window orders / 2 buyers = 1.50
//	averageOrderValue:  $120 / 3 orders = 40.00
//	historicalCLV:      ($80 + $40) / 2 members = 60.00
func TestMetricsCommand(t *testing.T) {
	r := newLocalRun(t, shopSegment())
	wantMetrics := map[string]string{"repeatPurchaseRate": "50.00", "purchaseFrequency": "1.50",
		"averageOrderValue": "40.00", "historicalCLV": "60.00"}
	for i, want := range []struct{ entered int64 }{{entered: 2}, {entered: 0}} {
		_, stderr, err := r.run(t, "metrics")
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i+1, err, stderr)
		}
		var rep report.Segment
		r.readReport(t, &rep)
		if !rep.Succeeded || !rep.DataSourceReachable || rep.Error != "" {
			t.Fatalf("run %d: report %+v", i+1, rep)
		}
		if rep.Size != 2 || rep.Customers != 4 || rep.Entered != want.entered || rep.Exited != 0 {
			t.Errorf("run %d: size %d customers %d entered %d exited %d, want 2 4 %d 0",
				i+1, rep.Size, rep.Customers, rep.Entered, rep.Exited, want.entered)
		}
		if !reflect.DeepEqual(report.Decimals(rep.Metrics), wantMetrics) {
			t.Errorf("run %d: metrics %v, want %v", i+1, rep.Metrics, wantMetrics)
		}
	}
	if _, err := os.Stat(filepath.Join(r.root, workload.StateDir, "state.db")); err != nil {
		t.Errorf("state store not under the local root: %v", err)
	}
}

// A failing run exits non-zero, says why on stderr as JSON, and still
// publishes the failed summary for the controller.
func TestMetricsCommandFailure(t *testing.T) {
	// The controller's mapping refuses this criteria; a spec that reaches
	// the job anyway (an operator upgrade with a stricter engine) fails the
	// run the same way.
	seg := shopSegment().render(t)
	seg.Config.Criteria = `customer.shoeSize > 42`
	r := newLocalRun(t, seg)
	_, stderr, err := r.run(t, "metrics")
	if err == nil {
		t.Fatal("want a non-zero exit")
	}
	var last map[string]any
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if json.Unmarshal([]byte(lines[len(lines)-1]), &last) != nil || last["msg"] != "worker failed" ||
		!strings.Contains(last["err"].(string), "spec.criteria") {
		t.Fatalf("last stderr line is not the JSON error naming the field:\n%s", stderr)
	}
	var rep report.Segment
	r.readReport(t, &rep)
	if rep.Succeeded || !strings.Contains(rep.Error, "spec.criteria") {
		t.Errorf("report %+v, want a failed run naming spec.criteria", rep)
	}
}

// shopProgram: 1 point per EUR (Floor), silver from 50 points, a 50-point
// voucher, 0.01 EUR per point. Ledger after ingest: a 80 (silver), b 40,
// c 300 (silver; its order 200 days ago is inside the 365d tier window).
func shopProgram() apiLoyalty {
	return apiLoyalty{Namespace: "shop", Name: "rewards", DataSource: shopSource,
		Spec: v1alpha1.LoyaltyProgramSpec{DataSourceRef: v1alpha1.LocalObjectReference{Name: "shop"},
			Currency: "EUR", PointValue: "0.01", EarnRules: v1alpha1.EarnRules{PointsPerUnit: 1},
			Tiers:             []v1alpha1.Tier{{Name: "silver", Threshold: 50}},
			Rewards:           []v1alpha1.Reward{{Name: "voucher", Cost: 50}},
			APITokenSecretRef: v1alpha1.SecretKeySelector{Name: "rewards-api", Key: "token"}}}
}

// `worker loyalty` serves the member API from the ingested ledger and stops
// cleanly on SIGTERM; `worker loyalty-metrics` then reports the same ledger.
func TestLoyaltyCommands(t *testing.T) {
	r := newLocalRun(t, shopProgram())
	const token = "shop-token-1"
	r.write(t, workload.SecretsDir+"/"+contract.APITokenDir+"/token", token+"\n")

	lw := startLoyalty(t, r)
	base := lw.base
	if code, body := get(t, base+"/readyz", ""); code != 200 {
		t.Fatalf("/readyz: %d %s", code, body)
	}
	code, body := get(t, base+"/v1/members/a", token)
	var member struct {
		ID        string `json:"id"`
		Available int64  `json:"available"`
		Pending   int64  `json:"pending"`
		Tier      string `json:"tier"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &member) != nil {
		t.Fatalf("GET member: %d %s", code, body)
	}
	if member.ID != "a" || member.Available != 80 || member.Pending != 0 || member.Tier != "silver" {
		t.Errorf("member a = %+v, want 80 available points, tier silver", member)
	}
	if code, _ := get(t, base+"/v1/members/a", "wrong"); code != 401 {
		t.Errorf("wrong token: status %d, want 401", code)
	}
	if code, body := post(t, base+"/v1/members/a/redemptions", token, "redeem-1", `{"reward":"voucher"}`); code != 201 {
		t.Fatalf("redeem: %d %s", code, body)
	}
	if _, body := get(t, base+"/metrics", ""); !strings.Contains(body, `loyalty_members{tier="silver"} 2`) {
		t.Errorf("/metrics lacks loyalty_members{tier=\"silver\"} 2:\n%s", body)
	}

	lw.stop(t)

	// Same ledger: 420 earned, 50 redeemed, 370 outstanding.
	//   liability 370 * 0.01 = 3.70; redemption rate 50/420 = 11.90%
	//   repeat purchase (365d): buyers a b c are all members, repeater a -> 33.33%
	if _, stderr, err := r.run(t, "loyalty-metrics"); err != nil {
		t.Fatalf("loyalty-metrics: %v\n%s", err, stderr)
	}
	var rep report.Loyalty
	r.readReport(t, &rep)
	want := report.Loyalty{ReportTime: rep.ReportTime, Members: 3, MembersPerTier: map[string]int64{"silver": 2, "none": 1},
		PointsOutstanding: 370}
	figures := []string{rep.Liability.String(), rep.RedemptionRate.String(), fmt.Sprint(rep.RepeatRateMembers)}
	rep.Liability, rep.RedemptionRate, rep.RepeatRateMembers = 0, 0, nil
	if !reflect.DeepEqual(rep, want) || !slices.Equal(figures, []string{"3.70", "11.90", "33.33"}) {
		t.Errorf("report\n got %+v %v\nwant %+v [3.70 11.90 33.33]", rep, figures, want)
	}
	if time.Since(rep.ReportTime) > time.Minute {
		t.Errorf("reportTime %v is not this run's", rep.ReportTime)
	}
}

// loyalty-metrics on its own (a CronJob pod with a fresh SQLite state store)
// ingests before it reports, so it never publishes an empty program.
func TestLoyaltyMetricsIngestsFirst(t *testing.T) {
	r := newLocalRun(t, shopProgram())
	if _, stderr, err := r.run(t, "loyalty-metrics"); err != nil {
		t.Fatalf("loyalty-metrics: %v\n%s", err, stderr)
	}
	var rep report.Loyalty
	r.readReport(t, &rep)
	if rep.Members != 3 || rep.PointsOutstanding != 420 || rep.Liability.String() != "4.20" || rep.RedemptionRate.String() != "0.00" {
		t.Errorf("report %+v, want 3 members, 420 points, 4.20 liability, 0.00%% redeemed", rep)
	}
}

// The loyalty API refuses to start without its token file, naming the path.
func TestLoyaltyCommandMissingToken(t *testing.T) {
	r := newLocalRun(t, shopProgram())
	_, stderr, err := r.run(t, "loyalty", "--listen=127.0.0.1:0")
	if err == nil || !strings.Contains(stderr, filepath.Join(r.root, workload.SecretsDir, "api-token", "token")) {
		t.Fatalf("err %v, stderr should name the token file under the local root:\n%s", err, stderr)
	}
}

// welcomePlaybook sends one console message to everyone (email set) on
// segment entry.
func welcomePlaybook() apiPlaybook {
	seg := shopSegment()
	seg.Name, seg.Spec.Criteria, seg.Spec.Metrics = "everyone", `customer.email != ""`, nil
	return apiPlaybook{Namespace: "shop", Name: "welcome", Segment: seg,
		Channels: map[string]v1alpha1.ChannelSpec{"console": {Console: &v1alpha1.ConsoleChannel{}}},
		Spec: v1alpha1.PlaybookSpec{SegmentRef: v1alpha1.LocalObjectReference{Name: "everyone"},
			Trigger: v1alpha1.Trigger{SegmentEntry: &v1alpha1.SegmentEntryTrigger{}},
			Steps: []v1alpha1.Step{{Name: "hello", Send: &v1alpha1.SendStep{
				ChannelRef: v1alpha1.LocalObjectReference{Name: "console"},
				Template:   v1alpha1.MessageTemplate{Subject: "Welcome", Body: "Hi {{.email}}"}}}}}}
}

// As a Deployment (no --once) the campaign worker keeps polling until
// SIGTERM, then publishes its summary and exits 0.
func TestCampaignCommandStopsOnSIGTERM(t *testing.T) {
	r := newLocalRun(t, welcomePlaybook())
	r.runMetricJob(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd, stdout, stderr := r.startCampaign(t, ctx, "50ms")
	awaitMessages(t, bufio.NewScanner(stdout), 3, stderr)
	// stdout ends when the process does; it must not end by itself after a
	// few idle ticks.
	exited := make(chan struct{})
	go func() { io.Copy(io.Discard, stdout); close(exited) }() //nolint:errcheck
	select {
	case <-exited:
		t.Fatalf("the worker exited without --once or SIGTERM\n%s", stderr.String())
	case <-time.After(300 * time.Millisecond):
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-exited
	if err := cmd.Wait(); err != nil {
		t.Fatalf("campaign after SIGTERM: %v\n%s", err, stderr.String())
	}
	var rep report.Playbook
	r.readReport(t, &rep)
	if rep.Sent != 3 || rep.Enrolled != 4 {
		t.Errorf("report after shutdown %+v, want 3 sent, 4 enrolled", rep)
	}
}

// `worker campaign --once` with a console channel: every customer is in the
// segment (email set); a, b and d have e-mail consent and get the message on
// stdout, c has none and is suppressed.
func TestCampaignCommand(t *testing.T) {
	r := newLocalRun(t, welcomePlaybook())
	stdout, stderr, err := r.run(t, "campaign", "--once", "--poll-interval=50ms")
	if err != nil {
		t.Fatalf("campaign: %v\n%s", err, stderr)
	}
	line := regexp.MustCompile(`^\[console\] to=(\S+) subject="Welcome" step=hello key=([0-9a-f]{32})$`)
	var to []string
	keys := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("unexpected stdout line %q", l)
		}
		to, keys[m[2]] = append(to, m[1]), true
	}
	sort.Strings(to)
	if !reflect.DeepEqual(to, []string{"a***", "b***", "d***"}) || len(keys) != 3 {
		t.Errorf("sent to %v with %d distinct keys, want masked a b d with 3", to, len(keys))
	}
	if strings.Contains(stdout, "@example.com") || strings.Contains(stdout, "Hi ") {
		t.Errorf("console output carries an address or the body:\n%s", stdout)
	}
	var rep report.Playbook
	r.readReport(t, &rep)
	if rep.Enrolled != 4 || rep.Sent != 3 || rep.Failed != 0 || rep.Active != 0 || rep.Suppressed["consent"] != 1 ||
		rep.Treatment.Enrolled != 4 || rep.Holdout.Enrolled != 0 || rep.Lift != nil {
		t.Errorf("report %+v", rep)
	}

	// A second run finds everything done: nothing is sent again.
	stdout, stderr, err = r.run(t, "campaign", "--once", "--poll-interval=50ms")
	if err != nil || strings.TrimSpace(stdout) != "" {
		t.Fatalf("second run: err %v, stdout %q\n%s", err, stdout, stderr)
	}
}

// loyaltyWorker is a running `worker loyalty`.
type loyaltyWorker struct {
	cmd  *exec.Cmd
	logs *logLines
	base string // http://127.0.0.1:port
}

// startProgram mounts the program's tokens in r (API token token, the e2e
// admin token) and starts its loyalty worker; the caller stops it.
func startProgram(t *testing.T, r *localRun, token string) *loyaltyWorker {
	t.Helper()
	r.writeLoyaltyTokens(t, token)
	return startLoyalty(t, r)
}

// startLoyalty starts `worker loyalty` on a free loopback port and waits
// until it listens and has ingested the data once.
func startLoyalty(t *testing.T, r *localRun) *loyaltyWorker {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel) // kills the process if a test fails before stop
	cmd := r.command(ctx, "loyalty", "--listen=127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &loyaltyWorker{cmd: cmd, logs: &logLines{}}
	go w.logs.read(stderr)
	w.base = "http://" + w.logs.waitFor(t, "loyalty API listening", 30*time.Second)["addr"].(string)
	w.logs.waitFor(t, "loyalty ingest pass", 30*time.Second)
	return w
}

// stop sends SIGTERM, as the kubelet does, and wants a clean exit.
func (w *loyaltyWorker) stop(t *testing.T) {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("loyalty after SIGTERM: %v\n%s", err, w.logs)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("loyalty did not stop within 15s of SIGTERM\n%s", w.logs)
	}
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(t, req)
}

func post(t *testing.T, url, token, key, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, resp.Body)
	return resp.StatusCode, b.String()
}

// A Playbook's awardPoints step credits points through a running loyalty
// worker with the program's token mounted at loyalty/<program>/<key>, once
// per journey even when the campaign worker runs again.
func TestCampaignAwardsPoints(t *testing.T) {
	const token = "shop-token-2"
	lw, cr := startAwardRun(t, token, "bonus", v1alpha1.Step{Name: "bonus", AwardPoints: &v1alpha1.AwardPointsStep{
		ProgramRef: v1alpha1.LocalObjectReference{Name: "rewards"}, Points: 15}})
	defer lw.stop(t)
	for i := 0; i < 2; i++ {
		if _, stderr, err := cr.run(t, "campaign", "--once", "--poll-interval=50ms"); err != nil {
			t.Fatalf("campaign run %d: %v\n%s", i+1, err, stderr)
		}
	}
	_, body := get(t, lw.base+"/v1/members/a", token)
	var member struct {
		Available int64 `json:"available"`
	}
	if err := json.Unmarshal([]byte(body), &member); err != nil || member.Available != 80+15 {
		t.Errorf("member a: %s, want 95 available (80 earned + one award of 15)", body)
	}
	var rep report.Playbook
	cr.readReport(t, &rep)
	if rep.Enrolled != 1 || rep.Completed != 1 || rep.Failed != 0 {
		t.Errorf("report %+v, want 1 enrolled and completed, nothing failed", rep)
	}
}

// startAwardRun starts a loyalty worker for the shop program (API token
// token) and prepares the campaign run of playbook shop/<name>, which runs
// steps for customer a (segment only-a) on segment entry, with the program
// "rewards" served by that worker and its admin token mounted. The caller
// stops the worker.
func startAwardRun(t *testing.T, token, name string, steps ...v1alpha1.Step) (*loyaltyWorker, *localRun) {
	t.Helper()
	lw := startProgram(t, newLocalRun(t, withAdminToken(shopProgram())), token)
	seg := shopSegment()
	seg.Name, seg.Spec.Criteria, seg.Spec.Metrics = "only-a", `customer.id == "a"`, nil
	pb := apiPlaybook{Namespace: "shop", Name: name, Segment: seg,
		LoyaltyPrograms: map[string]contract.LoyaltyEndpoint{"rewards": {URL: lw.base, TokenKey: "admin"}},
		Spec: v1alpha1.PlaybookSpec{SegmentRef: v1alpha1.LocalObjectReference{Name: "only-a"},
			Trigger: v1alpha1.Trigger{SegmentEntry: &v1alpha1.SegmentEntryTrigger{}}, Steps: steps}}
	cr := newLocalRun(t, pb)
	cr.mountRewardsAdminToken(t)
	return lw, cr
}

// With a PostgreSQL state store the URL reaches the worker unchanged (no
// local-root mapping) and the snapshot lives in PostgreSQL.
func TestMetricsCommandPostgresState(t *testing.T) {
	db := testdb.Open(t, testdb.Postgres(t), store.Open)
	r := newLocalRun(t, shopSegment()).sharing(pgStateURL(t, db))
	if _, stderr, err := r.run(t, "metrics"); err != nil {
		t.Fatalf("metrics: %v\n%s", err, stderr)
	}
	var rep report.Segment
	r.readReport(t, &rep)
	if !rep.Succeeded || rep.Size != 2 || rep.Entered != 2 {
		t.Fatalf("report %+v, want size 2, entered 2", rep)
	}
	var n int
	if err := db.QueryRow(context.Background(), "SELECT count(*) FROM segment_members").Scan(&n); err != nil {
		t.Fatalf("segment_members in PostgreSQL: %v", err)
	}
	if n != 2 {
		t.Errorf("segment_members has %d rows, want 2", n)
	}
	if _, err := os.Stat(filepath.Join(r.root, workload.StateDir, "state.db")); err == nil {
		t.Error("a SQLite state file was created although the state store is PostgreSQL")
	}
}

// Segment criteria over windowed features select the same customers in the
// campaign worker as in the metric job: with the segment's 30-day window only
// a has two window orders.
func TestCampaignSegmentWindow(t *testing.T) {
	pb := welcomePlaybook()
	pb.Segment.Spec.Criteria = `customer.windowOrders >= 2`
	r := newLocalRun(t, pb)
	stdout, stderr, err := r.run(t, "campaign", "--once", "--poll-interval=50ms")
	if err != nil {
		t.Fatalf("campaign: %v\n%s", err, stderr)
	}
	if lines := strings.Split(strings.TrimSpace(stdout), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "[console] to=a*** ") {
		t.Errorf("stdout %q, want one message to a", stdout)
	}
}

func TestVersionAndUsageErrors(t *testing.T) {
	out, err := exec.Command(workerBin, "version").Output()
	if err != nil || !regexp.MustCompile(`^worker dev \(commit \S+, go1\.\d+`).Match(out) {
		t.Errorf("version: %q, %v", out, err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"nonsense"}, `unknown command \"nonsense\"`},
		{[]string{"metrics", "extra-arg"}, `unknown command \"extra-arg\"`},
		{[]string{"campaign", "--shard=2/2"}, `--shard \"2/2\"`},
		{[]string{"--log-level=loud", "version"}, `--log-level \"loud\"`},
		{[]string{"loyalty-metrics"}, `read worker spec`},
	} {
		args := tt.args
		cmd := exec.Command(workerBin, args...)
		cmd.Env = []string{workload.LocalRootEnv + "=" + t.TempDir(), contract.EnvReportFile + "=" + filepath.Join(t.TempDir(), "r.json")}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), `"msg":"worker failed"`) ||
			!strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%v: err %v, stderr %s; want a non-zero exit with the JSON error containing %s", args, err, stderr.String(), tt.want)
		}
	}
}
