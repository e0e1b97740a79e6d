package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/retention-dev/retention-operator/internal/datasource"
)

func newPreviewCommand(opts *globalOptions) *cobra.Command {
	var (
		playbookFile, segmentFile, name, data, dsn, asOf, event string
		dataSourceFiles, channelFiles                           []string
		sample                                                  int
	)
	cmd := &cobra.Command{
		Use:   "preview -f PLAYBOOK.yaml --segment SEGMENT.yaml --datasource DATASOURCE.yaml",
		Short: "What a Playbook would send: audience, holdout split, consent suppressions, sample messages",
		Long: `preview runs a Playbook against its data locally, without a cluster: it
evaluates the Segment's criteria over the DataSource's customers, splits the
audience into treatment and holdout exactly as the campaign worker does,
counts customers whose consent suppresses each send step, and renders the
messages of the first --sample treatment customers (addresses masked).

The data comes from --data (a directory of CSV/NDJSON files, a transaction log,
or an SQLite file), from a ConfigMap defined in one of the given files (the
demo data source), or from PostgreSQL with --dsn.`,
		Example: `  retentionctl preview -f config/samples/50-playbooks.yaml --name at-risk-winback \
    --segment config/samples/30-segments.yaml \
    --datasource config/samples/10-datasource.yaml --datasource config/samples/03-demo-data.yaml \
    --channels config/samples/20-channels.yaml
  retentionctl preview -f winback.yaml --segment at-risk.yaml --datasource shop.yaml --data ./export --sample 5`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			at := time.Now().UTC()
			if asOf != "" {
				var err error
				if at, err = parseAsOf(asOf); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			in, probs, err := loadPreviewInputs(ctx, playbookFile, segmentFile, dataSourceFiles, channelFiles, name)
			for _, p := range probs {
				if !p.Warning { // missing Secrets do not matter offline
					fmt.Fprintln(cmd.ErrOrStderr(), p.String())
				}
			}
			if err != nil {
				return err
			}
			eventType := ""
			if e := in.playbook.Spec.Trigger.Event; e != nil {
				eventType = e.Type
			}
			if in.event, err = previewEvent(event, eventType); err != nil {
				return err
			}
			cfg, where, cleanup, err := in.dataSourceConfig(data, dsn)
			defer cleanup()
			if err != nil {
				return err
			}
			conn, err := datasource.Open(ctx, cfg)
			if err != nil {
				return fmt.Errorf("open data source %s (%s): %w", in.dataSource.Name, where, err)
			}
			defer conn.Close()
			bar := newProgress(cmd.ErrOrStderr(), "customers", 0)
			res, err := runPreview(ctx, in, conn, at, sample, func(n int64) { bar.Set(int(n)) })
			bar.Done()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if done, err := printStructured(out, opts.output, res); done {
				return err
			}
			return printPreview(out, res, where)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&playbookFile, "filename", "f", "", "file with the Playbook (required)")
	f.StringVar(&name, "name", "", "the Playbook to preview when the file holds several")
	f.StringVar(&segmentFile, "segment", "", "file with the Segment the Playbook names (required)")
	f.StringSliceVar(&dataSourceFiles, "datasource", nil, "file(s) with the DataSource (and its data ConfigMap, if any) (required)")
	f.StringSliceVar(&channelFiles, "channels", nil, "file(s) with the Channels (without them every channel is previewed as email)")
	f.StringVar(&data, "data", "", "local data: a directory of CSV/NDJSON files, a transaction log, or an SQLite file")
	f.StringVar(&dsn, "dsn", "", "PostgreSQL URL for a postgres DataSource (default $RETENTION_DATASOURCE_DSN)")
	f.IntVar(&sample, "sample", 3, "render the messages of this many treatment customers")
	f.StringVar(&asOf, "as-of", "", "evaluate features at this instant (RFC 3339 or YYYY-MM-DD; default now)")
	f.StringVar(&event, "event", "", `the triggering event's properties as a JSON object, for templates that read {{.event.properties...}}`)
	for _, req := range []string{"filename", "segment", "datasource"} {
		_ = cmd.MarkFlagRequired(req)
	}
	return cmd
}

func parseAsOf(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--as-of %q: use RFC 3339 (2026-03-01T09:00:00Z) or a date (2026-03-01)", s)
}

func printPreview(w io.Writer, r *previewResult, where string) error {
	fmt.Fprintf(w, "Playbook %s: segment %s, data source %s (%s), as of %s\n", r.Playbook, r.Segment, r.DataSource, where, r.AsOf.Format(time.RFC3339))
	fmt.Fprintf(w, "trigger %s\n\n", r.Trigger)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "customers scanned\t%d\t\n", r.Scanned)
	fmt.Fprintf(tw, "audience\t%d\t\n", r.Audience)
	fmt.Fprintf(tw, "holdout (%g%%, never messaged)\t%d\t\n", r.HoldoutPercent, r.Holdout)
	fmt.Fprintf(tw, "treatment\t%d\t\n", r.Treatment)
	fmt.Fprintf(tw, "consent-suppressed (treatment, any send step)\t%d\t\n", r.ConsentSuppressed)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Steps) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SEND STEP\tCHANNEL\tKIND\tWOULD SEND\tCONSENT-SUPPRESSED")
		for _, s := range r.Steps {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\n", s.Step, s.Channel, s.Kind, s.WouldSend, s.Suppressed)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(w, "(at most: branches, exits, the goal and frequency caps can only lower these)")
	}
	if len(r.Samples) > 0 {
		fmt.Fprintf(w, "\nsample messages (first treatment customers by id who would receive one; addresses masked):\n")
		for _, s := range r.Samples {
			fmt.Fprintf(w, "\n--- %s  step %s via %s to %s\n", s.CustomerID, s.Step, s.Channel, s.To)
			if s.Subject != "" {
				fmt.Fprintf(w, "Subject: %s\n", s.Subject)
			}
			body := s.Body
			if body == "" {
				body = s.HTML
			}
			fmt.Fprintln(w, strings.TrimRight(body, "\n"))
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\nnote: %s", n)
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w)
	}
	return nil
}
