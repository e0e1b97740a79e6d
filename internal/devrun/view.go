package devrun

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// row is one custom resource in the live view.
type row struct {
	Kind, Namespace, Name string
	Ready                 string // the Ready condition's status, "-" before the first reconcile
	Current               bool   // Ready was computed for the current generation
	Figures               string
}

func (r row) ready() bool { return r.Ready == string(metav1.ConditionTrue) && r.Current }

// readyOf reads the Ready condition; when it is not True the figures column
// shows its reason and message instead.
func readyOf(obj client.Object, conds []metav1.Condition) (status string, current bool, why string) {
	c := meta.FindStatusCondition(conds, v1alpha1.ConditionReady)
	if c == nil {
		return "-", false, "not reconciled yet"
	}
	return string(c.Status), c.ObservedGeneration == obj.GetGeneration(), c.Reason + ": " + c.Message
}

// collectRows lists the five kinds in every namespace, ordered as a user
// builds them up: data, channels, segments, loyalty, playbooks.
func collectRows(ctx context.Context, c client.Reader) ([]row, error) {
	var rows []row
	add := func(obj client.Object, kind string, conds []metav1.Condition, figures string) {
		st, cur, why := readyOf(obj, conds)
		if st != string(metav1.ConditionTrue) {
			figures = why
		}
		rows = append(rows, row{Kind: kind, Namespace: obj.GetNamespace(), Name: obj.GetName(), Ready: st, Current: cur, Figures: figures})
	}
	var (
		ds   v1alpha1.DataSourceList
		chs  v1alpha1.ChannelList
		segs v1alpha1.SegmentList
		lps  v1alpha1.LoyaltyProgramList
		pbs  v1alpha1.PlaybookList
	)
	for _, list := range []client.ObjectList{&ds, &chs, &segs, &lps, &pbs} {
		if err := c.List(ctx, list); err != nil {
			return nil, err
		}
	}
	each(ds.Items, func(o *v1alpha1.DataSource) {
		add(o, "DataSource", o.Status.Conditions, readyReason(o.Status.Conditions))
	})
	each(chs.Items, func(o *v1alpha1.Channel) { add(o, "Channel", o.Status.Conditions, readyReason(o.Status.Conditions)) })
	each(segs.Items, func(o *v1alpha1.Segment) { add(o, "Segment", o.Status.Conditions, segmentFigures(&o.Status)) })
	each(lps.Items, func(o *v1alpha1.LoyaltyProgram) {
		add(o, "LoyaltyProgram", o.Status.Conditions,
			fmt.Sprintf("members=%d liability=%s %s", o.Status.Members, orDash(o.Status.Liability), o.Spec.Currency))
	})
	each(pbs.Items, func(o *v1alpha1.Playbook) { add(o, "Playbook", o.Status.Conditions, playbookFigures(&o.Status)) })
	return rows, nil
}

// each calls fn with a pointer to every item, in order.
func each[T any](items []T, fn func(*T)) {
	for i := range items {
		fn(&items[i])
	}
}

func readyReason(conds []metav1.Condition) string {
	if c := meta.FindStatusCondition(conds, v1alpha1.ConditionReady); c != nil {
		return c.Reason
	}
	return ""
}

func segmentFigures(st *v1alpha1.SegmentStatus) string {
	if st.Size == nil {
		return "waiting for the first metric run"
	}
	s := fmt.Sprintf("size=%d entered=%d exited=%d", *st.Size, st.Entered, st.Exited)
	if r, ok := st.Metrics["retentionRate"]; ok {
		s += " retention=" + r + "%"
	}
	return s
}

func playbookFigures(st *v1alpha1.PlaybookStatus) string {
	var suppressed int64
	for _, n := range st.Suppressed {
		suppressed += n
	}
	s := fmt.Sprintf("enrolled=%d sent=%d suppressed=%d lift=%s", st.Enrolled, st.Sent, suppressed, orDash(st.Lift))
	if st.Suspended {
		s += " (suspended)"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Column widths; with the three separating spaces they fill width columns.
const (
	kindWidth  = 14
	nameWidth  = 24
	readyWidth = 6
)

// render writes the table and the last console messages, every line at most width columns.
func render(w io.Writer, width int, now time.Time, kubeconfig string, rows []row, console []consoleLine, consoleTotal int, note string) {
	fit := func(s string, n int) string {
		if n <= 0 {
			return ""
		}
		r := []rune(s)
		if len(r) <= n {
			return s
		}
		if n == 1 {
			return "…"
		}
		return string(r[:n-1]) + "…"
	}
	line := func(s string) { fmt.Fprintln(w, fit(s, width)) }
	figWidth := width - kindWidth - nameWidth - readyWidth - 3
	cell := func(kind, name, ready, figures string) string {
		return fmt.Sprintf("%-*s %-*s %-*s %s", kindWidth, fit(kind, kindWidth), nameWidth, fit(name, nameWidth),
			readyWidth, fit(ready, readyWidth), fit(figures, figWidth))
	}
	line(fmt.Sprintf("retentionctl dev  %s  %s", now.Format("15:04:05"), note))
	line("bin/k8s/kubectl --kubeconfig " + kubeconfig + " get retention -A")
	line("")
	line(cell("KIND", "NAME", "READY", "FIGURES"))
	sorted := append([]row(nil), rows...)
	sort.SliceStable(sorted, func(i, j int) bool { return kindOrder(sorted[i].Kind) < kindOrder(sorted[j].Kind) })
	for _, r := range sorted {
		line(cell(r.Kind, r.Name, r.Ready, r.Figures))
	}
	line("")
	line(fmt.Sprintf("console channel: %d messages", consoleTotal))
	for _, c := range console {
		line("  " + c.Owner + " | " + strings.TrimPrefix(c.Text, consolePrefix))
	}
}

func kindOrder(kind string) int {
	for i, k := range []string{"DataSource", "Channel", "Segment", "LoyaltyProgram", "Playbook"} {
		if k == kind {
			return i
		}
	}
	return 99
}

// allReady is true when there is something to show and every resource is
// Ready for its current generation.
func allReady(rows []row) bool {
	if len(rows) == 0 {
		return false
	}
	for _, r := range rows {
		if !r.ready() {
			return false
		}
	}
	return true
}
