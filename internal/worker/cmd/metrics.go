package cmd

import (
	"github.com/spf13/cobra"

	"github.com/retention-dev/retention-operator/internal/worker/metrics"
)

// metricsCommand is the Segment CronJob: one metric run, published to the
// report ConfigMap (or RETENTION_REPORT_FILE), non-zero exit when it failed.
func metricsCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "metrics",
		Short: "Segment metric job: evaluate the segment, snapshot members, compute metrics, publish the summary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// RunFromEnv reads the state store and the data source from
			// the environment and g.paths (metrics.StateStoreURL, Source).
			return metrics.RunFromEnv(cmd.Context(), g.paths, g.specPath())
		},
	}
}
