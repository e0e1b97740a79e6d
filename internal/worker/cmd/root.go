// Package cmd is the worker binary's command line: one cobra command per
// workload the controllers start (`worker metrics|campaign|loyalty|
// loyalty-metrics --spec PATH`) and `worker version`. Each command reads the
// worker spec the controller mounted, the environment (contract.Env*) and
// the mounted Secrets, builds the runner's Options and runs it until it is
// done or SIGTERM/SIGINT arrives.
//
// Every container path (the spec file, sqlite: state stores, the data and
// secrets directories) goes through one workload.Paths, read from the
// environment once here and passed down, so the local run can start the same
// command with RETENTION_LOCAL_ROOT and no kubelet.
package cmd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/memtune"
	"github.com/retention-dev/retention-operator/internal/redact"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// globals are the flags every command shares.
type globals struct {
	spec     string
	logLevel string
	logger   *slog.Logger
	stdout   io.Writer
	// paths is where the spec, secrets, data and state are for this process.
	paths workload.Paths
}

// NewRoot builds the command tree. stdout is where the console channel prints
// and `version` writes; logs go to stderr as JSON.
func NewRoot(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, paths: workload.PathsFromEnv()}
	root := &cobra.Command{
		Use:   "worker",
		Short: "Runs one retention-operator workload (started by the operator's pods)",
		Long: `worker runs the workloads the retention-operator controllers start:

  metrics          Segment metric job (CronJob)
  campaign         Playbook campaign worker (Deployment)
  loyalty          LoyaltyProgram API and points ingest (Deployment)
  loyalty-metrics  LoyaltyProgram expiry and metrics job (CronJob)
  feedback         Bounce and complaint webhooks into the suppression list
  preferences      Channel unsubscribe links and preference page (Deployment)
  ingest           Ingestion API of a DataSource (Deployment and Service)

Each reads the spec the controller mounted (--spec) and the RETENTION_*
environment. With RETENTION_LOCAL_ROOT set, container paths are read under it.`,
		SilenceUsage:  true, // a failed run is not a usage mistake
		SilenceErrors: true, // Execute logs the error once, as JSON
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
				return fmt.Errorf("--log-level %q: want debug, info, warn or error", g.logLevel)
			}
			g.logger = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
			slog.SetDefault(g.logger)
			return nil
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true // pods never need shell completion
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&g.spec, "spec", workload.SpecFile, "worker spec file (JSON, mounted by the controller)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "debug, info, warn or error (customer data is never logged above debug)")
	root.AddCommand(metricsCommand(g), campaignCommand(g), loyaltyCommand(g), loyaltyMetricsCommand(g), feedbackCommand(g), preferencesCommand(g), ingestCommand(g), versionCommand(g))
	return root
}

// Execute runs the command line args until it finishes or SIGTERM/SIGINT
// cancels it, and returns the process exit code: 0 on success, 1 with the
// error logged to stderr otherwise.
func Execute(args []string, stdout, stderr io.Writer) int {
	// Kubernetes stops a pod with SIGTERM; runners see a cancelled context,
	// finish or hand back their in-flight work, and return.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	// In a pod the container's memory limit is handed down; the collector
	// keeps the heap under it rather than the kernel killing the worker.
	memtune.FollowLimit(os.Getenv(contract.EnvMemoryLimit))
	root := NewRoot(stdout, stderr)
	root.SetArgs(args)
	stopProfile, err := startCPUProfile(commandName(args))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	cmd, err := root.ExecuteContextC(ctx)
	stopProfile()
	if err == nil {
		return 0
	}
	// The pod's log is also its termination message (FallbackToLogsOnError),
	// which lands in the pod's status: redacted like every report.
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	logger.Error("worker failed", "command", cmd.Name(), "err", redact.Error(err))
	return 1
}

// noArgsCommand is a subcommand that takes no arguments and runs with the
// command line's context (cancelled by SIGTERM/SIGINT, see Execute).
func noArgsCommand(use, short string, run func(ctx context.Context) error) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context()) }}
}

// specPath is where the --spec file is for this process.
func (g *globals) specPath() string { return g.paths.Of(g.spec) }
