// Command ctrlplaneload is the load run of hack/bench-control-plane.sh: it
// measures how fast the manager, as shipped, converges N Segments and N
// Playbooks on a real kube-apiserver and etcd, and how many API writes it
// sends on the way.
//
//	ctrlplaneload -manager BIN -assets bin/k8s -crds config/crd/bases -rbac config/rbac -n 1000
//
// It starts kube-apiserver (with an audit log of the manager's writes) and
// etcd from the envtest binaries, installs the CRDs and the manager's
// ClusterRole from config/rbac (so the manager runs with exactly the rights
// it declares, under an identity of its own), starts the manager binary with
// the chart's flags, applies the DataSource and Channel, then the Segments
// and Playbooks, and prints: the time from the first Segment/Playbook apply
// to all 2N Ready, the manager's writes by verb and resource (total and per
// object), its writes in the quiet minute that follows, and its peak RSS.
//
// Nothing here plays a real cluster's kube-controller-manager or kubelet,
// except the two facts the objects' Ready waits on (the "cluster stand-in",
// standin.go): a first-run Job of a Segment gets a successful report in its
// report ConfigMap, as the metric job would write, and a campaign Deployment
// gets the status of a rolled-out Deployment. The stand-in writes as its own
// user, so none of its writes are counted as the manager's.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

type options struct {
	manager, assets, crds, rbac string
	n, applyConcurrency         int
	quiet, timeout              time.Duration
	managerArgs                 string
	profile                     string
	profileSeconds              int
}

func main() {
	var o options
	flag.StringVar(&o.manager, "manager", "", "manager binary (go build ./cmd/manager)")
	flag.StringVar(&o.assets, "assets", "bin/k8s", "directory of kube-apiserver and etcd")
	flag.StringVar(&o.crds, "crds", "config/crd/bases", "CRD directory")
	flag.StringVar(&o.rbac, "rbac", "config/rbac", "directory of role.yaml and leader_election_role.yaml")
	flag.IntVar(&o.n, "n", 1000, "Segments, and as many Playbooks")
	flag.IntVar(&o.applyConcurrency, "apply-concurrency", 8, "concurrent creates while applying")
	flag.DurationVar(&o.quiet, "quiet", time.Minute, "quiet period after convergence in which writes are counted")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up if not all Ready by then")
	flag.StringVar(&o.managerArgs, "manager-args", "", "extra manager flags, space-separated (for comparisons)")
	flag.StringVar(&o.profile, "apiserver-profile", "", "write a CPU profile of kube-apiserver during the load to this file")
	flag.IntVar(&o.profileSeconds, "apiserver-profile-seconds", 30, "length of that profile, from the first apply")
	flag.Parse()
	ctrllog.SetLogger(logr.Discard()) // the driver's informers log nothing worth reading
	if o.manager == "" {
		fmt.Fprintln(os.Stderr, "ctrlplaneload: -manager is required")
		os.Exit(2)
	}
	// SIGINT/SIGTERM (the script's trap) end the run through the same
	// teardown as success: the manager, kube-apiserver and etcd are stopped
	// and the temporary directory removed.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "ctrlplaneload:", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) (err error) {
	dir, err := os.MkdirTemp("", "ctrlplaneload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cp, err := startControlPlane(o, dir)
	if err != nil {
		return err
	}
	defer func() {
		// A slow stop on a loaded machine is reported, not a failed run:
		// envtest kills what did not stop in time.
		if stopErr := cp.stop(); stopErr != nil {
			fmt.Fprintln(os.Stderr, "ctrlplaneload: stopping the control plane:", stopErr)
		}
	}()
	admin, err := newClients(cp.adminConfig)
	if err != nil {
		return err
	}
	if err := installManagerRBAC(ctx, admin, o.rbac); err != nil {
		return err
	}
	mgr, err := startManager(o, dir, cp.managerKubeconfig)
	if err != nil {
		return err
	}
	defer mgr.stop()

	const namespace = "bench"
	if err := setupNamespace(ctx, admin, namespace); err != nil {
		return err
	}
	standin := startStandIn(ctx, admin, namespace)
	defer standin.stop()
	watch, err := watchReady(ctx, cp.adminConfig, namespace)
	if err != nil {
		return err
	}
	if err := waitPrerequisites(ctx, watch, mgr); err != nil {
		return err
	}
	before, err := countWrites(cp.auditLog)
	if err != nil {
		return err
	}

	fmt.Printf("== applying %d Segments + %d Playbooks in namespace %s\n", o.n, o.n, namespace)
	start := time.Now()
	var profiled <-chan error
	if o.profile != "" {
		profiled = profileAPIServer(ctx, admin, o.profile, o.profileSeconds)
	}
	if err := applyLoad(ctx, admin, namespace, o.n, o.applyConcurrency); err != nil {
		return err
	}
	applied := time.Since(start)
	fmt.Printf("applied in %.1f s\n", applied.Seconds())
	if err := waitAllReady(ctx, watch, mgr, 2*o.n, start, o.timeout); err != nil {
		return err
	}
	converged := time.Since(start)
	if profiled != nil {
		if err := <-profiled; err != nil {
			return fmt.Errorf("kube-apiserver profile: %w", err)
		}
		fmt.Printf("== kube-apiserver CPU profile of the first %d s: %s\n", o.profileSeconds, o.profile)
	}
	convergedWrites, err := countWrites(cp.auditLog)
	if err != nil {
		return err
	}
	fmt.Printf("== all %d Ready %.1f s after the first apply (apply %.1f s)\n", 2*o.n, converged.Seconds(), applied.Seconds())
	onTheWay := convergedWrites.minus(before)
	onTheWay.print(os.Stdout, "manager writes from the first apply to all Ready", 2*o.n)

	fmt.Printf("== quiet period of %s\n", o.quiet)
	select {
	case <-time.After(o.quiet):
	case <-ctx.Done():
		return ctx.Err()
	}
	after, err := countWrites(cp.auditLog)
	if err != nil {
		return err
	}
	after.minus(convergedWrites).print(os.Stdout, "manager writes in the quiet period", 0)
	hwm, rss, err := mgr.memory()
	if err != nil {
		return err
	}
	fmt.Printf("== manager peak RSS (VmHWM) %.1f MiB, RSS now %.1f MiB, CPU %.1f s in total\n", hwm, rss, mgr.cpuSeconds())
	fmt.Printf("(manager log: %s is removed on exit)\n", filepath.Base(mgr.logPath))
	return nil
}
