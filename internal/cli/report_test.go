package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/render"
	"github.com/retention-dev/retention-operator/internal/report"
)

// runCLI runs the root command with args and returns stdout, stderr.
func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := NewRootCommand("retentionctl")
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// ensureNamespace creates ns unless it exists (dry-run tests share "shop").
func ensureNamespace(t *testing.T, c client.Client, ns string) {
	t.Helper()
	err := c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// reportCluster is the test API server with a new, uniquely named
// namespace in it (so the tests repeat, go test -count=N, against one API
// server): the client, the kubeconfig path and the namespace.
func reportCluster(t *testing.T, prefix string) (client.Client, string, string) {
	t.Helper()
	c, kubeconfig := apiServer(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	if err := c.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return c, kubeconfig, ns.Name
}

// createReportConfigMap stores sum as the report ConfigMap name holds it.
func createReportConfigMap(t *testing.T, c client.Client, ns, name string, sum any) {
	t.Helper()
	raw, _ := json.Marshal(sum)
	if err := c.Create(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Data: map[string]string{report.Key: string(raw)}}); err != nil {
		t.Fatal(err)
	}
}

// outputHas checks that out contains each of wants.
func outputHas(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// cohorts24 is a 24-cohort triangular matrix with known values:
// rows[i][k] = 100 for k = 0, else 30 - k - i/4 (at least 1).
func cohorts24() *report.Cohorts {
	c := &report.Cohorts{}
	for i := 0; i < 24; i++ {
		c.Labels = append(c.Labels, fmt.Sprintf("%d-%02d", 2024+i/12, i%12+1))
		c.Sizes = append(c.Sizes, int64(100+i))
		row := []float64{100}
		for k := 1; k < 24-i; k++ {
			row = append(row, math.Max(1, float64(30-k-i/4)))
		}
		c.Rows = append(c.Rows, row)
	}
	return c
}

var ansiCodes = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestReportSegmentFromCluster(t *testing.T) {
	c, kubeconfig, ns := reportCluster(t, "report-seg")
	ctx := context.Background()
	seg := &v1alpha1.Segment{ObjectMeta: metav1.ObjectMeta{Name: "at-risk", Namespace: ns},
		Spec: v1alpha1.SegmentSpec{DataSourceRef: v1alpha1.LocalObjectReference{Name: "shop-data"},
			Criteria: "customer.recencyDays > 90.0", Metrics: []v1alpha1.MetricName{"retentionRate", "cohortRetention"}}}
	if err := c.Create(ctx, seg); err != nil {
		t.Fatal(err)
	}
	size := int64(1234)
	seg.Status = v1alpha1.SegmentStatus{Size: &size, Entered: 12, Exited: 3, Metrics: map[string]string{"retentionRate": "34.5"}}
	meta.SetStatusCondition(&seg.Status.Conditions, metav1.Condition{Type: "Ready", Status: "True", Reason: "Succeeded", Message: "metric job ran"})
	if err := c.Status().Update(ctx, seg); err != nil {
		t.Fatal(err)
	}
	runTime := time.Date(2026, 11, 30, 14, 5, 0, 0, time.UTC)
	sum := report.Segment{RunTime: runTime, Succeeded: true, DataSourceReachable: true, Size: 1234, Customers: 5000, Cohorts: cohorts24()}
	createReportConfigMap(t, c, ns, "at-risk-metrics-report", sum)

	dir := t.TempDir()
	pngPath, htmlPath := filepath.Join(dir, "c.png"), filepath.Join(dir, "c.html")
	out, _, err := runCLI(t, "report", "segment", "at-risk", "-n", ns, "--kubeconfig", kubeconfig, "--png", pngPath, "--html", htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	outputHas(t, out,
		"Segment "+ns+"/at-risk  Ready=True (Succeeded): metric job ran",
		"size                      1234", "entered (last run)        12", "customers in data source  5000",
		"retentionRate             34.5",
		"2025-12  123 ", // last cohort row: label, size
		"average retention by months since first order",
	)
	for _, line := range strings.Split(out, "\n") {
		if w := utf8.RuneCountInString(ansiCodes.ReplaceAllString(line, "")); w > 100 {
			t.Errorf("line is %d columns: %q", w, line)
		}
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	caption := render.Caption{Segment: ns + "/at-risk", AsOf: runTime}
	if got, want := img.Bounds().Size(), render.NewLayout(cohorts24(), caption).Size; got != want {
		t.Errorf("PNG is %v, want %v", got, want)
	}
	page, err := os.ReadFile(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "<title>Segment "+ns+"/at-risk: cohort retention, metric run of 2026-11-30 14:05 UTC</title>") || !strings.Contains(string(page), "<dt>retentionRate</dt><dd>34.5</dd>") {
		t.Errorf("HTML page lacks the title (segment and metric run) or figures")
	}

	// -o json carries the same numbers, plus the curve.
	out, _, err = runCLI(t, "report", "segment", "at-risk", "-n", ns, "--kubeconfig", kubeconfig, "-o", "json")
	var got segmentReport
	decodeOutput(t, out, err, &got)
	if *got.Status.Size != 1234 || got.Summary.Cohorts.Rows[0][1] != 29 || len(got.RetentionCurve) != 24 {
		t.Errorf("json report: size %v, rows[0][1] %v, curve %d months", *got.Status.Size, got.Summary.Cohorts.Rows[0][1], len(got.RetentionCurve))
	}
	// Month 23 is observed only in cohort 0: 30-23-0 = 7.
	if got.RetentionCurve[23] != 7 {
		t.Errorf("curve[23] = %v, want 7", got.RetentionCurve[23])
	}

	_, _, err = runCLI(t, "report", "segment", "missing", "-n", ns, "--kubeconfig", kubeconfig)
	if err == nil || !strings.Contains(err.Error(), "Segment "+ns+"/missing not found") {
		t.Errorf("missing segment: err = %v", err)
	}
}

func TestReportPlaybookFromCluster(t *testing.T) {
	c, kubeconfig, ns := reportCluster(t, "report-pb")
	ctx := context.Background()
	pb := &v1alpha1.Playbook{ObjectMeta: metav1.ObjectMeta{Name: "winback", Namespace: ns},
		Spec: v1alpha1.PlaybookSpec{SegmentRef: v1alpha1.LocalObjectReference{Name: "at-risk"},
			Trigger: v1alpha1.Trigger{SegmentEntry: &v1alpha1.SegmentEntryTrigger{}},
			Steps: []v1alpha1.Step{
				{Name: "mail", Send: &v1alpha1.SendStep{ChannelRef: v1alpha1.LocalObjectReference{Name: "email"}, Template: v1alpha1.MessageTemplate{Body: "hi"}}},
				{Name: "pause", Wait: &v1alpha1.WaitStep{Duration: "3d"}},
				{Name: "done", Exit: &v1alpha1.ExitStep{}},
			}}}
	if err := c.Create(ctx, pb); err != nil {
		t.Fatal(err)
	}
	pb.Status = v1alpha1.PlaybookStatus{Enrolled: 1000, Active: 300, Completed: 600, Exited: 100, Messages: 1549, Sent: 1500, Failed: 2,
		Suppressed:  map[string]int64{"consent": 40, "frequencyCap": 7},
		Conversions: &v1alpha1.Conversions{Treatment: 90, TreatmentEnrolled: 900, Holdout: 5, HoldoutEnrolled: 100},
		Lift:        "5.00pp", LiftInterval: "[0.10, 9.90]"} // as the controller writes them
	if err := c.Status().Update(ctx, pb); err != nil {
		t.Fatal(err)
	}
	createReportConfigMap(t, c, ns, "winback-campaign-report", report.Playbook{Enrolled: 1000, Steps: map[string]int64{"pause": 250, "mail": 50, "old-step": 1}})
	out, _, err := runCLI(t, "report", "playbook", "winback", "-n", ns, "--kubeconfig", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	outputHas(t, out,
		"ENROLLED  ACTIVE  COMPLETED  EXITED  SENT  FAILED\n1000      300     600        100     1500  2\n",
		"messages 1549 = sent 1500 + failed 2 + pending 0 + suppressed 47 (consent 40, frequencyCap 7)",
		"treatment  900       90         10.0%",
		"holdout    100       5          5.0%",
		"lift 5.00 percentage points, 95% interval [0.10, 9.90]\n",
		"STEP                ACTIVE\nmail                50\npause               250\ndone                0\nold-step (removed)  1\n",
	)
}

// A Segment whose metric job has not reported yet: figures from status,
// a clear note instead of the heatmap, and --png refuses with the fix.
func TestReportSegmentBeforeFirstRun(t *testing.T) {
	c, kubeconfig, ns := reportCluster(t, "report-new")
	ctx := context.Background()
	seg := &v1alpha1.Segment{ObjectMeta: metav1.ObjectMeta{Name: "fresh", Namespace: ns},
		Spec: v1alpha1.SegmentSpec{DataSourceRef: v1alpha1.LocalObjectReference{Name: "shop-data"}, Criteria: "customer.frequency >= 1"}}
	if err := c.Create(ctx, seg); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "report", "segment", "fresh", "-n", ns, "--kubeconfig", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	outputHas(t, out, "Ready=Unknown (no status yet)", "last run never", "size                -", "no cohort matrix yet (add cohortRetention to spec.metrics)")
	_, _, err = runCLI(t, "report", "segment", "fresh", "-n", ns, "--kubeconfig", kubeconfig, "--png", filepath.Join(t.TempDir(), "x.png"))
	if err == nil || !strings.Contains(err.Error(), "no cohort matrix yet: add cohortRetention to spec.metrics") {
		t.Errorf("--png without cohorts: %v", err)
	}
}
