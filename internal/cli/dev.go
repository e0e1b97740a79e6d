package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/retention-dev/retention-operator/internal/devrun"
)

// newDevCommand is `retentionctl dev`: the whole operator on this machine
// (a real kube-apiserver and etcd, the real manager, workers as local
// processes, messages on the console). See docs/local-run.md.
func newDevCommand() *cobra.Command {
	var o devrun.Options
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run the operator end to end locally: API server, manager, workers as processes, console channel",
		Long: `dev starts a real kube-apiserver and etcd (bin/k8s), the operator's manager,
and config/samples with demo data generated to end now. Worker pods run as local
processes with exactly their pod's command, arguments and environment, and
messages sent through the console channel appear in the live view.

Poke at it from another terminal:
  bin/k8s/kubectl --kubeconfig .dev/kubeconfig get playbooks,segments -n shop

Ctrl-C stops workers, manager and control plane; logs stay in .dev/logs.
Without a terminal (a pipe, CI) it prints a line per change instead of the table.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			// The first Ctrl-C (or SIGTERM) stops workers, manager and control
			// plane in order. A second one kills the workers at once instead of
			// granting them their 5 s, and still stops the API server and etcd;
			// a third exits immediately (on Linux the workers die with this
			// process and a watchdog stops the API server and etcd).
			sigs := make(chan os.Signal, 3)
			signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
			defer signal.Stop(sigs)
			force := make(chan struct{})
			o.Force = force
			finished := make(chan struct{})
			defer close(finished)
			go func() {
				for n := 1; ; n++ {
					select {
					case <-finished:
						return
					case <-sigs:
					}
					switch n {
					case 1:
						cancel()
					case 2:
						fmt.Fprintln(cmd.ErrOrStderr(), "dev: killing workers now; stopping the API server and etcd (Ctrl-C again to exit at once)")
						close(force)
					default:
						os.Exit(130)
					}
				}
			}()
			o.Out = cmd.OutOrStdout()
			return devrun.Run(ctx, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.Once, "once", false, "print the table once every resource is Ready and every job ran once, then stop (exit 1 on --timeout)")
	f.DurationVar(&o.Timeout, "timeout", 0, "stop after this long (0: run until Ctrl-C)")
	f.StringVar(&o.RepoDir, "repo", ".", "the repository checkout (config/, hack/gendata, bin/)")
	f.StringVar(&o.WorkDir, "workdir", "", "where the kubeconfig, pod directories, state and logs go (default: <repo>/.dev)")
	f.StringVar(&o.WorkerBinary, "worker", "", "the worker binary that stands in for the image's /worker (default: <repo>/bin/worker)")
	f.IntVar(&o.Customers, "customers", 250, "demo customers to generate")
	f.IntVar(&o.Orders, "orders", 1200, "demo orders to generate (about)")
	f.Uint64Var(&o.Seed, "seed", 7, "demo data seed")
	return cmd
}
