package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/render"
)

// readyLine is "Ready=True (Reason): message" from the conditions.
func readyLine(conds []metav1.Condition) string {
	c := meta.FindStatusCondition(conds, v1alpha1.ConditionReady)
	if c == nil {
		return "Ready=Unknown (no status yet)"
	}
	s := fmt.Sprintf("Ready=%s (%s)", c.Status, c.Reason)
	if c.Message != "" {
		s += ": " + c.Message
	}
	return s
}

// ago formats a time as "2025-03-01T10:00:00Z (3h ago)".
func ago(t *metav1.Time, now time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	return fmt.Sprintf("%s (%s ago)", t.UTC().Format(time.RFC3339), now.Sub(t.Time).Round(time.Second))
}

// segmentFigures are the headline numbers, shared by the terminal and HTML.
func segmentFigures(rep segmentReport) [][2]string {
	st := rep.Status
	size := "-"
	if st.Size != nil {
		size = strconv.FormatInt(*st.Size, 10)
	}
	figs := [][2]string{{"size", size}, {"entered (last run)", strconv.FormatInt(st.Entered, 10)},
		{"exited (last run)", strconv.FormatInt(st.Exited, 10)}}
	if s := rep.Summary; s != nil {
		figs = append(figs, [2]string{"customers in data source", strconv.FormatInt(s.Customers, 10)})
	}
	keys := slices.Sorted(maps.Keys(st.Metrics))
	for _, k := range keys {
		figs = append(figs, [2]string{k, st.Metrics[k]})
	}
	return figs
}

func printSegmentReport(w io.Writer, rep segmentReport, o render.TextOptions) error {
	now := time.Now()
	fmt.Fprintf(w, "Segment %s  %s\n", rep.Name, readyLine(rep.Status.Conditions))
	fmt.Fprintf(w, "last run %s, last success %s\n\n", ago(rep.Status.LastRunTime, now), ago(rep.Status.LastSuccessfulRunTime, now))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range segmentFigures(rep) {
		fmt.Fprintf(tw, "%s\t%s\n", f[0], f[1])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if rep.Summary != nil && rep.Summary.Error != "" {
		fmt.Fprintf(w, "\nlast run failed: %s\n", rep.Summary.Error)
	}
	if rep.Summary == nil || rep.Summary.Cohorts == nil || len(rep.Summary.Cohorts.Rows) == 0 {
		fmt.Fprintln(w, "\nno cohort matrix yet (add cohortRetention to spec.metrics)")
		return nil
	}
	fmt.Fprintln(w)
	if err := render.TextHeatmap(w, rep.Summary.Cohorts, o); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return render.TextCurve(w, rep.RetentionCurve, 10, render.NewScale(rep.Summary.Cohorts), o)
}

// rate is converted/enrolled as a percentage with one decimal.
func rate(converted, enrolled int64) string {
	if enrolled == 0 {
		return "-"
	}
	return strconv.FormatFloat(100*float64(converted)/float64(enrolled), 'f', 1, 64) + "%"
}

// liftWords spells out status.lift for a sentence: the controller writes it
// with the unit abbreviated for the printer column ("5.00pp"), so the suffix
// is replaced, not repeated ("5.00 percentage points").
func liftWords(lift string) string {
	return strings.TrimSuffix(lift, "pp") + " percentage points"
}

func printPlaybookReport(w io.Writer, rep playbookReport) error {
	st := rep.Status
	fmt.Fprintf(w, "Playbook %s  %s", rep.Name, readyLine(st.Conditions))
	if st.Suspended {
		fmt.Fprint(w, "  SUSPENDED")
	}
	fmt.Fprintf(w, "\nlast report %s\n\n", ago(st.LastReportTime, time.Now()))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ENROLLED\tACTIVE\tCOMPLETED\tEXITED\tSENT\tFAILED")
	fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\n", st.Enrolled, st.Active, st.Completed, st.Exited, st.Sent, st.Failed)
	if err := tw.Flush(); err != nil {
		return err
	}
	printMessageOutcomes(w, st)
	if c := st.Conversions; c != nil {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ARM\tENROLLED\tCONVERTED\tRATE")
		fmt.Fprintf(tw, "treatment\t%d\t%d\t%s\n", c.TreatmentEnrolled, c.Treatment, rate(c.Treatment, c.TreatmentEnrolled))
		fmt.Fprintf(tw, "holdout\t%d\t%d\t%s\n", c.HoldoutEnrolled, c.Holdout, rate(c.Holdout, c.HoldoutEnrolled))
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if st.Lift != "" {
		fmt.Fprintf(w, "lift %s, 95%% interval %s\n", liftWords(st.Lift), st.LiftInterval)
	}
	if err := printVariants(w, &st); err != nil {
		return err
	}
	if s := rep.Summary; s != nil && len(s.Steps) > 0 {
		fmt.Fprintln(w, "\nactive journeys by step:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "STEP\tACTIVE")
		seen := map[string]bool{}
		for _, name := range rep.Steps { // spec order first
			seen[name] = true
			fmt.Fprintf(tw, "%s\t%d\n", name, s.Steps[name])
		}
		var rest []string // steps no longer in the spec
		for name := range s.Steps {
			if !seen[name] {
				rest = append(rest, name)
			}
		}
		sort.Strings(rest)
		for _, name := range rest {
			fmt.Fprintf(tw, "%s (removed)\t%d\n", name, s.Steps[name])
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if s := rep.Summary; s != nil && s.Error != "" {
		fmt.Fprintf(w, "\nworker error: %s\n", s.Error)
	}
	return nil
}

func printLoyaltyReport(w io.Writer, rep loyaltyReport, spec v1alpha1.LoyaltyProgramSpec) error {
	st := rep.Status
	fmt.Fprintf(w, "LoyaltyProgram %s  %s\nlast report %s\n\n", rep.Name, readyLine(st.Conditions), ago(st.LastReportTime, time.Now()))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "members\t%d\n", st.Members)
	fmt.Fprintf(tw, "points outstanding\t%d\n", st.PointsOutstanding)
	fmt.Fprintf(tw, "liability\t%s %s\n", st.Liability, spec.Currency)
	fmt.Fprintf(tw, "redemption rate\t%s\n", st.RedemptionRate)
	if s := rep.Summary; s != nil {
		if s.RepeatRateMembers != nil {
			fmt.Fprintf(tw, "repeat rate, members\t%s\n", s.RepeatRateMembers)
		}
		if s.RepeatRateNonMembers != nil {
			fmt.Fprintf(tw, "repeat rate, non-members\t%s\n", s.RepeatRateNonMembers)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(st.MembersPerTier) > 0 {
		fmt.Fprintln(w, "\nmembers per tier:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TIER\tTHRESHOLD\tMEMBERS")
		for _, t := range spec.Tiers {
			fmt.Fprintf(tw, "%s\t%d\t%d\n", t.Name, t.Threshold, st.MembersPerTier[t.Name])
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}
