package cmd

import (
	"github.com/spf13/cobra"

	"github.com/retention-dev/retention-operator/internal/worker/metrics"
)

// metricsCommand is the Segment CronJob: one metric run, published to the
// report ConfigMap (or RETENTION_REPORT_FILE), non-zero exit when it failed.
func metricsCommand(g *globals) *cobra.Command {
	var full, refit bool
	cmd := &cobra.Command{
		Use:   "metrics",
		Short: "Segment metric job: evaluate the segment, snapshot members, compute metrics, publish the summary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// RunFromEnv reads the state store and the data source from
			// the environment and g.paths (metrics.StateStoreURL, Source).
			return metrics.RunFromEnv(cmd.Context(), g.paths, g.specPath(), func(o *metrics.Options) {
				o.Full, o.Refit = full, refit
			})
		},
	}
	// Only Segments with spec.incremental keep aggregates to recompute or a
	// model to refit; for the others every run is already a full one.
	cmd.Flags().BoolVar(&full, "full", false, "recompute every customer's stored aggregates from the data source (spec.incremental)")
	cmd.Flags().BoolVar(&refit, "refit", false, "refit the predicted-CLV model now instead of on spec.incremental.refitEvery")
	return cmd
}
