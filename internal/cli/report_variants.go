package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// printVariants prints the A/B/n figures from status: one row per variant,
// the winner of its step marked with how it won.
func printVariants(w io.Writer, st *v1alpha1.PlaybookStatus) error {
	if len(st.Variants) == 0 {
		return nil
	}
	winners := map[string]v1alpha1.VariantWinner{}
	for _, vw := range st.VariantWinners {
		winners[vw.Step] = vw
	}
	fmt.Fprintln(w, "\nvariants (rate and interval in percent; P(best): probability to have the highest rate):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tVARIANT\tSENDS\tCONVERSIONS\tRATE\t95% INTERVAL\tP(BEST)\t")
	for _, v := range st.Variants {
		rate := v.ConversionRate
		if rate == "" {
			rate = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", v.Step, v.Name, v.Sends, v.Conversions, rate, v.Interval,
			v.ProbabilityToBeBest, winnerNote(winners[v.Step], v.Name))
	}
	return tw.Flush()
}

func winnerNote(w v1alpha1.VariantWinner, name string) string {
	switch {
	case w.Variant != name:
		return ""
	case w.Reason == v1alpha1.VariantPinned:
		return "winner (pinned)"
	case w.PromotedAt != nil:
		return "winner (promoted " + w.PromotedAt.UTC().Format(time.RFC3339) + ")"
	}
	return "winner (promoted)"
}
