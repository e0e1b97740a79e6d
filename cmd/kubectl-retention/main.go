// Command kubectl-retention is retentionctl installed as the kubectl plugin
// `kubectl retention`: it lints, previews and reports on retention.dev
// resources. See docs/cli.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/retention-dev/retention-operator/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := cli.NewRootCommand("kubectl retention").ExecuteContext(ctx)
	stop()
	if err != nil {
		if msg := err.Error(); !cli.IsSilent(err) {
			fmt.Fprintln(os.Stderr, "error:", msg)
		}
		os.Exit(cli.ExitCode(err))
	}
}
