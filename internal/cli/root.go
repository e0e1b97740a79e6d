// Package cli is retentionctl, the command-line tool for the retention
// operator: offline lint and preview of manifests, reports from the cluster,
// and a view of who is in a journey. The same root command is installed as
// the kubectl plugin `kubectl retention`.
package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"
)

// globalOptions are the flags every verb shares, named as in kubectl.
type globalOptions struct {
	output     string // table, json or yaml
	kubeconfig string
	namespace  string
}

// NewRootCommand builds retentionctl. name is the command name shown in
// help: "retentionctl" or, for the kubectl plugin, "kubectl retention".
func NewRootCommand(name string) *cobra.Command {
	opts := &globalOptions{}
	root := &cobra.Command{
		// Cobra takes a command's name from the first word of Use; a plugin
		// shows its two-word name through the display-name annotation.
		Use:           strings.ReplaceAll(name, " ", "-"),
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: name},
		Short:         "Lint, preview and report on retention.dev playbooks, segments and loyalty programs",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return validateOutput(opts.output)
		},
	}
	f := root.PersistentFlags()
	f.StringVarP(&opts.output, "output", "o", "table", "output format: table, json or yaml")
	f.StringVar(&opts.kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	f.StringVarP(&opts.namespace, "namespace", "n", "", "namespace (default: the kubeconfig context's namespace)")

	root.AddCommand(
		newLintCommand(opts),
		newPreviewCommand(opts),
		newReportCommand(opts),
		newJourneyCommand(opts),
	)
	// Commands written by other helpers in this package (see extraCommands):
	// segment, clv, and dev.
	root.AddCommand(extraCommands()...)
	return root
}

// Main runs the CLI as the command name (retentionctl, or "kubectl retention"
// for the plugin) and returns the process exit code.
func Main(name string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := NewRootCommand(name).ExecuteContext(ctx); err != nil {
		if !IsSilent(err) {
			fmt.Fprintln(os.Stderr, "error:", err.Error())
		}
		return ExitCode(err)
	}
	return 0
}
