package devrun

import (
	"strings"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

func TestRenderFitsTheWidth(t *testing.T) {
	rows := []row{
		{Kind: "Playbook", Name: "at-risk-winback", Ready: "True", Current: true, Figures: "enrolled=40 sent=11 suppressed=39 lift=0.00pp"},
		{Kind: "DataSource", Name: "shop", Ready: "True", Current: true, Figures: "Configured"},
		{Kind: "Segment", Name: "a-segment-name-that-is-far-too-long-for-its-column", Ready: "False", Current: true,
			Figures: "MetricJobFailed: last metric run failed (previous figures kept): orders.csv row 17: amount \"x\" is not a number"},
	}
	console := []consoleLine{{Owner: "at-risk-winback", Text: `[console] to=c***@example.com subject="We miss you" step=we-miss-you key=04a11f8f48a15599b8a2dfe01802d2e6`}}
	var b strings.Builder
	render(&b, 100, time.Date(2026, 11, 25, 1, 2, 3, 0, time.UTC), ".dev/kubeconfig", rows, console, 24, "Ctrl-C stops")
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	want := []string{
		"retentionctl dev  01:02:03  Ctrl-C stops",
		"bin/k8s/kubectl --kubeconfig .dev/kubeconfig get retention -A",
		"",
		"KIND           NAME                     READY  FIGURES",
		"DataSource     shop                     True   Configured",
		// 47 columns of kind, name and ready, then 52 of the message and "…": 100.
		"Segment        a-segment-name-that-is-… False  MetricJobFailed: last metric run failed (previous fi…",
		"Playbook       at-risk-winback          True   enrolled=40 sent=11 suppressed=39 lift=0.00pp",
		"",
		"console channel: 24 messages",
		`  at-risk-winback | to=c***@example.com subject="We miss you" step=we-miss-you key=04a11f8f48a15599…`, // 99 + "…"
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("render:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, l := range lines {
		if n := len([]rune(l)); n > 100 {
			t.Errorf("%d columns: %s", n, l)
		}
	}
}

func TestAllReady(t *testing.T) {
	ready := row{Ready: "True", Current: true}
	tests := []struct {
		name string
		rows []row
		want bool
	}{
		{"nothing yet", nil, false},
		{"all ready", []row{ready, ready}, true},
		{"one not ready", []row{ready, {Ready: "False", Current: true}}, false},
		{"ready for an older generation", []row{ready, {Ready: "True", Current: false}}, false},
		{"not reconciled", []row{{Ready: "-"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := allReady(tt.rows); got != tt.want {
				t.Fatalf("allReady = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	var b backoff
	var got []time.Duration
	for _, ran := range []time.Duration{0, time.Second, 0, 0, 0, 0, 0, 0, time.Minute, 0} {
		got = append(got, b.delay(ran))
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 1, 2}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("delays = %v, want %v (seconds)", got, want)
		}
	}
}

func TestWriteVolumeLeavesUnchangedFilesAlone(t *testing.T) {
	dir := t.TempDir()
	must(t, writeVolume(dir, map[string][]byte{"a": []byte("1"), "b": []byte("2")}, 0o644))
	before := listFiles(t, dir)
	infoA, err := statModTime(dir, "a")
	must(t, err)
	time.Sleep(10 * time.Millisecond)
	must(t, writeVolume(dir, map[string][]byte{"a": []byte("1"), "c": []byte("3")}, 0o644))
	infoA2, err := statModTime(dir, "a")
	must(t, err)
	if !infoA.Equal(infoA2) {
		t.Fatal("unchanged file a was rewritten")
	}
	if got := strings.Join(listFiles(t, dir), " "); got != "a c" || strings.Join(before, " ") != "a b" {
		t.Fatalf("files %v then %q", before, got)
	}
	if err := writeVolume(dir, map[string][]byte{"../x": nil}, 0o644); err == nil || !strings.Contains(err.Error(), "escapes") {
		t.Fatalf("error = %v", err)
	}
}

// TestChangeLogPrintsOnlyChanges: without a terminal the view prints one line
// per resource when it changes, not the whole table every refresh.
func TestChangeLogPrintsOnlyChanges(t *testing.T) {
	at := time.Date(2026, 11, 30, 14, 5, 0, 0, time.UTC)
	seg := row{Kind: "Segment", Namespace: "shop", Name: "at-risk", Ready: "-", Figures: "not reconciled yet"}
	ds := row{Kind: "DataSource", Namespace: "shop", Name: "shop-data", Ready: "True", Figures: "Connected"}
	c := newChangeLog()
	var b strings.Builder
	c.print(&b, at, []row{seg, ds}, "workers 0/3 up")
	c.print(&b, at.Add(2*time.Second), []row{seg, ds}, "workers 0/3 up") // nothing changed
	seg.Ready, seg.Figures = "True", "size=12 entered=12 exited=0"
	c.print(&b, at.Add(4*time.Second), []row{seg, ds}, "workers 3/3 up")
	want := "14:05:00 DataSource     shop/shop-data Ready=True Connected\n" +
		"14:05:00 Segment        shop/at-risk Ready=- not reconciled yet\n" +
		"14:05:00 workers 0/3 up\n" +
		"14:05:04 Segment        shop/at-risk Ready=True size=12 entered=12 exited=0\n" +
		"14:05:04 workers 3/3 up\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestFigures(t *testing.T) {
	for _, tt := range []struct {
		name, got, want string
	}{
		{"segment before its first run", segmentFigures(&v1alpha1.SegmentStatus{}), "waiting for the first metric run"},
		{"segment measured", segmentFigures(&v1alpha1.SegmentStatus{Size: ptr.To[int64](40), Entered: 3, Exited: 1}),
			"size=40 entered=3 exited=1"},
		{"segment with retention", segmentFigures(&v1alpha1.SegmentStatus{Size: ptr.To[int64](0),
			Metrics: map[string]string{"retentionRate": "83.33", "churnRate": "16.67"}}),
			"size=0 entered=0 exited=0 retention=83.33%"},
		{"playbook sums suppressed reasons", playbookFigures(&v1alpha1.PlaybookStatus{Enrolled: 40, Sent: 11,
			Suppressed: map[string]int64{"holdout": 8, "consent": 31}, Lift: "1.50pp"}),
			"enrolled=40 sent=11 suppressed=39 lift=1.50pp"},
		{"suspended playbook without lift", playbookFigures(&v1alpha1.PlaybookStatus{Suspended: true}),
			"enrolled=0 sent=0 suppressed=0 lift=- (suspended)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}
