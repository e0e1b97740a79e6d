package devrun

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/retention-dev/retention-operator/internal/controller"
	"github.com/retention-dev/retention-operator/internal/operator"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// LocalWorkerImage is the image name the manager puts in pod templates; the
// local kubelet ignores images and runs the built worker binary instead.
const LocalWorkerImage = "local"

// ErrNotReady is returned in Once mode when the timeout passes first.
var ErrNotReady = errors.New("not every resource became Ready before the timeout")

// Run starts everything, shows the live view until ctx ends (or, with Once,
// until all resources are Ready and every scheduled job ran once), and then
// stops workers, manager and control plane in that order. Logs, the
// kubeconfig and the state stay in WorkDir.
func Run(ctx context.Context, opts Options) (err error) {
	o, err := opts.withDefaults()
	if err != nil {
		return err
	}
	// Pods, identities and the shared state belong to the control plane
	// started below (etcd lives in a temporary directory and starts empty),
	// so the previous run's are cleared; logs are kept and appended to.
	for _, dir := range []string{o.podsDir(), o.identitiesDir(), filepath.Join(o.WorkDir, "state")} {
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(o.logsDir(), 0o755); err != nil {
		return err
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	defer surviveClosedOutput()()
	out := &syncWriter{w: o.Out}
	tty := isTerminal(o.Out)
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }

	mgrLog, err := os.OpenFile(filepath.Join(o.logsDir(), "manager.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer mgrLog.Close()
	// The manager's and client-go's logs go to a file: the terminal is the view's.
	logger := zap.New(zap.WriteTo(mgrLog))
	ctrl.SetLogger(logger)
	klog.SetLogger(logger)

	say("starting kube-apiserver and etcd (%s)", o.AssetsDir)
	cp, err := startControlPlane(o)
	if err != nil {
		return err
	}
	defer func() {
		if stopErr := cp.stop(); stopErr != nil && err == nil {
			err = fmt.Errorf("stop control plane: %w", stopErr)
		}
	}()
	c, err := client.New(cp.cfg, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		return err
	}

	// The local run declares its one shared state store: every local process
	// opens the same SQLite file, since each namespace's state directory is
	// one directory on this machine (materializeVolumes).
	mgr, err := operator.NewManager(cp.cfg, operator.Options{MetricsAddr: "0", ProbeAddr: "0", WorkerImage: LocalWorkerImage,
		StateStore: controller.StateStorePolicy{URL: workload.DefaultState}})
	if err != nil {
		return fmt.Errorf("build manager: %w", err)
	}
	mgrCtx, stopMgr := context.WithCancel(context.Background())
	mgrDone := make(chan error, 1)
	go func() { mgrDone <- mgr.Start(mgrCtx) }()
	defer func() {
		stopMgr()
		if mgrErr := <-mgrDone; mgrErr != nil && err == nil {
			err = fmt.Errorf("manager: %w", mgrErr)
		}
	}()
	say("manager started (logs: %s)", filepath.Join(o.logsDir(), "manager.log"))

	end := o.Now
	if end.IsZero() {
		end = time.Now()
	}
	say("generating demo data: %d customers, about %d orders, history ending %s", o.Customers, o.Orders, end.UTC().Format(time.RFC3339))
	data, err := generateDemoData(ctx, o, end.Truncate(time.Second))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The run is still worth having with the committed data (whose
		// dates are fixed, so recency-based segments drift as it ages).
		say("could not generate demo data, using config/samples/03-demo-data.yaml instead: %v", err)
		data = nil
	}
	n, err := applySamples(ctx, c, filepath.Join(o.RepoDir, "config", "samples"), data)
	if err != nil {
		return err
	}
	if data != nil {
		say("applied %d objects from config/samples (demo data regenerated; also in %s)", n, filepath.Join(o.WorkDir, "shop.db"))
		// The shop keeps taking orders while the campaigns run, so goals
		// convert and lift has something to measure.
		shopCtx, stopShop := context.WithCancel(ctx)
		defer stopShop()
		go newShopper(c, data, o.Seed).run(shopCtx)
		say("the demo shop takes new orders every %s (goals convert as they would in a live shop)", liveOrdersEvery)
	} else {
		say("applied %d objects from config/samples", n)
	}

	console, err := newConsoleLog(out, filepath.Join(o.logsDir(), "console.log"))
	if err != nil {
		return err
	}
	defer console.close()
	// On a terminal the view redraws in place and shows the latest console
	// messages itself; elsewhere (a pipe, CI) each message is printed as it comes.
	console.echo = !tty
	k, err := newKubelet(o, c, cp, console)
	if err != nil {
		return err
	}
	kctx, stopKubelet := context.WithCancel(context.Background())
	kdone := make(chan struct{})
	go func() { defer close(kdone); k.run(kctx) }()
	defer func() {
		say("stopping workers (SIGTERM, SIGKILL after %s), manager and control plane", terminationGrace)
		stopKubelet()
		<-kdone
	}()

	kubeconfig := displayPath(o.kubeconfigPath())
	say("in another terminal:  bin/k8s/kubectl --kubeconfig %s get playbooks,segments -n %s", kubeconfig, demoNamespace)
	say("worker logs: %s   console messages: %s", displayPath(o.logsDir()), displayPath(filepath.Join(o.logsDir(), "console.log")))
	return view(ctx, o, c, k, console, out, tty, kubeconfig)
}

// view redraws the table every Refresh until ctx ends. In Once mode it draws
// once, when everything is settled, and returns.
func view(ctx context.Context, o Options, c client.Client, k *kubelet, console *consoleLog, out *syncWriter, tty bool, kubeconfig string) error {
	tick := time.NewTicker(o.Refresh)
	defer tick.Stop()
	last := ""
	lines := newChangeLog()
	for {
		rows, err := collectRows(ctx, c)
		if err == nil {
			total, pending := k.cronProgress()
			settled := allReady(rows) && pending == 0 && total > 0
			running, want, restarts, jobs := k.podSummary()
			note := fmt.Sprintf("workers %d/%d up, %d restarts, %d jobs running", running, want, restarts, jobs)
			if pending > 0 {
				note += fmt.Sprintf(", %d of %d jobs on their first run", pending, total)
			}
			if !o.Once {
				note += "  Ctrl-C stops"
			}
			recent, count := console.snapshot()
			var b strings.Builder
			render(&b, o.Width, time.Now(), kubeconfig, rows, recent, count, note)
			switch {
			case o.Once && settled:
				console.quiet()
				fmt.Fprint(out, b.String())
				return nil
			case o.Once:
				last = b.String() // printed if the timeout comes first
			case tty:
				fmt.Fprint(out, "\033[H\033[2J"+b.String())
			default:
				// Without a terminal (a pipe, a log file, CI) a redrawn table
				// reads as a stream of repeated tables: print one line per
				// resource whose state changed, as it changes.
				lines.print(out, time.Now(), rows, fmt.Sprintf("workers %d/%d up, %d restarts, %d jobs running", running, want, restarts, jobs))
			}
		}
		select {
		case <-ctx.Done():
			if !o.Once {
				return nil
			}
			console.quiet()
			fmt.Fprint(out, last)
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%w (%s)", ErrNotReady, o.Timeout)
			}
			return errors.New("interrupted before every resource was Ready")
		case <-tick.C:
		}
	}
}

// isTerminal reports whether w is a character device (an interactive terminal).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// displayPath shortens a path under the working directory for hints.
func displayPath(p string) string {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return p
}
