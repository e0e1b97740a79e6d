package cmd

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/retention-dev/retention-operator/internal/worker/metrics"
	"github.com/retention-dev/retention-operator/internal/workerconfig"
)

// metricsCommand is the Segment CronJob: one metric run, published to the
// report ConfigMap (or RETENTION_REPORT_FILE), non-zero exit when it failed.
func metricsCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "metrics",
		Short: "Segment metric job: evaluate the segment, snapshot members, compute metrics, publish the summary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			url, err := stateStoreURL()
			if err != nil {
				return err
			}
			// metrics.RunFromEnv reads the state store from the environment
			// itself; hand it the path as this process sees it.
			if err := os.Setenv(workerconfig.EnvStateStore, url); err != nil {
				return err
			}
			return metrics.RunFromEnv(cmd.Context(), g.specPath())
		},
	}
}
