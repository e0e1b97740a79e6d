package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/render"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/workload"
)

func newReportCommand(opts *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Show a Segment's, Playbook's or LoyaltyProgram's figures from the cluster",
		Long: `report reads a resource's status and the summary its worker wrote into the
report ConfigMap (<name>-<component>-report, key summary.json), and prints the
figures; for a Segment also a cohort retention heatmap and retention curve.`,
	}
	cmd.AddCommand(newReportSegmentCommand(opts))
	// The kinds without flags of their own: one NAME, printed as text or -o.
	for _, k := range []struct {
		use, short, example string
		run                 func(cmd *cobra.Command, opts *globalOptions, name string) error
	}{
		{"playbook NAME", "Playbook enrolment, sends, suppressions, conversions by arm, lift, variants, and journeys per step",
			"  retentionctl report playbook at-risk-winback -n shop", reportPlaybook},
		{"loyalty NAME", "LoyaltyProgram members per tier, points outstanding, liability and redemption rate",
			"  retentionctl report loyalty rewards -n shop", reportLoyalty},
	} {
		cmd.AddCommand(&cobra.Command{Use: k.use, Short: k.short, Example: k.example, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error { return k.run(cmd, opts, args[0]) }})
	}
	return cmd
}

// segmentReport is what `report segment` prints with -o json|yaml.
type segmentReport struct {
	Name    string                 `json:"name"`
	Status  v1alpha1.SegmentStatus `json:"status"`
	Summary *report.Segment        `json:"summary,omitempty"`
	// RetentionCurve is the size-weighted average retention by month since
	// first order, from the cohort matrix.
	RetentionCurve []float64 `json:"retentionCurve,omitempty"`
}

func newReportSegmentCommand(opts *globalOptions) *cobra.Command {
	var pngFile, htmlFile string
	cmd := &cobra.Command{
		Use:   "segment NAME",
		Short: "Segment size, metrics, cohort heatmap and retention curve",
		Example: `  retentionctl report segment at-risk -n shop
  retentionctl report segment buyers -n shop --png cohorts.png --html cohorts.html   # buyers has cohortRetention
  retentionctl report segment at-risk -n shop -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReport(cmd, opts, args[0], "Segment", workload.ComponentMetrics,
				func(name string, seg *v1alpha1.Segment, sum *report.Segment) (segmentReport, error) {
					rep := segmentReport{Name: name, Status: seg.Status, Summary: sum}
					if sum != nil && sum.Cohorts != nil {
						rep.RetentionCurve = render.RetentionCurve(sum.Cohorts)
					}
					return rep, writeHeatmapFiles(cmd, rep, pngFile, htmlFile)
				},
				func(out io.Writer, rep segmentReport) error {
					return printSegmentReport(out, rep, terminalOptions(out))
				})
		},
	}
	cmd.Flags().StringVar(&pngFile, "png", "", "write the cohort heatmap as a PNG image to this file")
	cmd.Flags().StringVar(&htmlFile, "html", "", "write the cohort heatmap as a self-contained HTML page to this file")
	return cmd
}

// runReport is every `report KIND NAME`: it loads the object and the
// summary its worker wrote (nil before the first report), lets build shape
// what is printed (named namespace/name), and prints it with -o json|yaml
// or as text.
func runReport[O any, PO interface {
	*O
	client.Object
}, S, R any](cmd *cobra.Command, opts *globalOptions, name, kind, component string,
	build func(name string, obj PO, sum *S) (R, error), text func(io.Writer, R) error) error {
	obj := PO(new(O))
	var sum S
	ns, ok, err := loadReport(cmd, opts, name, kind, component, obj, &sum)
	if err != nil {
		return err
	}
	var got *S
	if ok {
		got = &sum
	}
	rep, err := build(ns+"/"+obj.GetName(), obj, got)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if done, err := printStructured(out, opts.output, rep); done {
		return err
	}
	return text(out, rep)
}

// writeHeatmapFiles writes --png and --html when asked.
func writeHeatmapFiles(cmd *cobra.Command, rep segmentReport, pngFile, htmlFile string) error {
	if pngFile == "" && htmlFile == "" {
		return nil
	}
	if rep.Summary == nil || rep.Summary.Cohorts == nil || len(rep.Summary.Cohorts.Rows) == 0 {
		return fmt.Errorf("segment %s has no cohort matrix yet: add cohortRetention to spec.metrics and wait for a metric run", rep.Name)
	}
	write := func(path string, fn func(f *os.File) error) error {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", path)
		return nil
	}
	caption := render.Caption{Segment: rep.Name, AsOf: rep.Summary.RunTime}
	if pngFile != "" {
		if err := write(pngFile, func(f *os.File) error { return render.WritePNG(f, rep.Summary.Cohorts, caption) }); err != nil {
			return err
		}
	}
	if htmlFile != "" {
		page := render.HTMLPage{Caption: caption, Figures: segmentFigures(rep)}
		if err := write(htmlFile, func(f *os.File) error { return render.WriteHTML(f, rep.Summary.Cohorts, page) }); err != nil {
			return err
		}
	}
	return nil
}

// terminalOptions: colour only on a terminal and without NO_COLOR; width
// from $COLUMNS, at most 100.
func terminalOptions(w any) render.TextOptions {
	o := render.TextOptions{Width: 100}
	if f, ok := w.(*os.File); ok && isTerminal(f) && os.Getenv("NO_COLOR") == "" {
		o.Color = true
	}
	var cols int
	if _, err := fmt.Sscan(os.Getenv("COLUMNS"), &cols); err == nil && cols >= 40 && cols < 100 {
		o.Width = cols
	}
	return o
}

// playbookReport is what `report playbook` prints with -o json|yaml.
type playbookReport struct {
	Name    string                  `json:"name"`
	Steps   []string                `json:"steps"`
	Status  v1alpha1.PlaybookStatus `json:"status"`
	Summary *report.Playbook        `json:"summary,omitempty"`
}

// reportPlaybook is `report playbook NAME`: the status with the step names
// from the spec, and the campaign worker's summary.
func reportPlaybook(cmd *cobra.Command, opts *globalOptions, name string) error {
	return runReport(cmd, opts, name, "Playbook", workload.ComponentCampaign,
		func(name string, pb *v1alpha1.Playbook, sum *report.Playbook) (playbookReport, error) {
			rep := playbookReport{Name: name, Status: pb.Status, Summary: sum}
			for _, s := range pb.Spec.Steps {
				rep.Steps = append(rep.Steps, s.Name)
			}
			return rep, nil
		}, printPlaybookReport)
}

// loyaltyReport is what `report loyalty` prints with -o json|yaml.
type loyaltyReport struct {
	Name    string                        `json:"name"`
	Status  v1alpha1.LoyaltyProgramStatus `json:"status"`
	Summary *report.Loyalty               `json:"summary,omitempty"`
}

// reportLoyalty is `report loyalty NAME`: the text needs the spec (tiers)
// beside the status and summary.
func reportLoyalty(cmd *cobra.Command, opts *globalOptions, name string) error {
	var spec v1alpha1.LoyaltyProgramSpec
	return runReport(cmd, opts, name, "LoyaltyProgram", workload.ComponentLoyalty,
		func(name string, lp *v1alpha1.LoyaltyProgram, sum *report.Loyalty) (loyaltyReport, error) {
			spec = lp.Spec
			return loyaltyReport{Name: name, Status: lp.Status, Summary: sum}, nil
		},
		func(out io.Writer, rep loyaltyReport) error { return printLoyaltyReport(out, rep, spec) })
}
