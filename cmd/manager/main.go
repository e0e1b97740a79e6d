// Command manager runs the retention-operator controllers.
package main

import (
	// The time-zone database is compiled in: quiet hours and local-time waits
	// must work in a minimal image that ships no zoneinfo.
	_ "time/tzdata"

	"flag"
	"os"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/retention-dev/retention-operator/internal/controller"
	"github.com/retention-dev/retention-operator/internal/memtune"
	"github.com/retention-dev/retention-operator/internal/operator"
)

// defaultWorkerImage is the manager's own image; the chart and kustomize set
// RETENTION_WORKER_IMAGE to it, since a pod cannot read its own image.
const defaultWorkerImage = "ghcr.io/retention-dev/retention-operator:latest"

func main() {
	// Peak RSS converging 1,000 Segments and 1,000 Playbooks: see
	// BENCHMARKS.md (control plane).
	memtune.PreferMemory(50)
	var o operator.Options
	flag.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8443", `Address of the metrics endpoint (":8080" for HTTP, "0" to disable).`)
	flag.BoolVar(&o.SecureMetrics, "metrics-secure", true, "Serve metrics over HTTPS with Kubernetes authentication and authorization.")
	flag.BoolVar(&o.EnableHTTP2, "enable-http2", false, "Allow HTTP/2 for the metrics server (off: CVE-2023-44487).")
	flag.StringVar(&o.ProbeAddr, "health-probe-bind-address", ":8081", "Address of /healthz and /readyz.")
	flag.BoolVar(&o.LeaderElection, "leader-elect", false, "Elect a leader so only one replica reconciles.")
	flag.StringVar(&o.LeaderNamespace, "leader-election-namespace", "", "Namespace of the leader election lease (default: the pod's).")
	flag.StringVar(&o.WorkerImage, "worker-image", envOr("RETENTION_WORKER_IMAGE", defaultWorkerImage), "Image of worker pods (defaults to the manager's own).")
	flag.StringVar(&o.StateStore.SecretName, "state-store-secret", "", "Secret (in each resource's namespace) holding the shared state store's postgres:// URL, used when a DataSource sets no spec.stateStore: the production setting.")
	flag.StringVar(&o.StateStore.SecretKey, "state-store-secret-key", controller.DefaultStateStoreKey, "Key of the state store URL in --state-store-secret.")
	flag.StringVar(&o.StateStore.URL, "state-store-url", "", "State store URL given to every worker as it is (local runs: one shared SQLite file).")
	flag.BoolVar(&o.StateStore.AllowPrivate, "allow-private-state", false, "Evaluation only: let each worker pod keep private state (restarts re-send, replicas send twice, figures reset).")
	flag.IntVar(&o.MaxConcurrentReconciles, "max-concurrent-reconciles", operator.DefaultMaxConcurrentReconciles, "Objects of one kind reconciled at once.")
	var qps float64
	flag.Float64Var(&qps, "kube-api-qps", 0, "Client-side limit of API requests per second (0: none; the API server's priority and fairness applies).")
	flag.IntVar(&o.KubeAPIBurst, "kube-api-burst", 0, "Burst above --kube-api-qps (with a limit set).")
	var watch string
	flag.StringVar(&watch, "watch-namespaces", "", "Comma-separated namespaces to watch (empty: the whole cluster).")
	zapOpts := zap.Options{Development: false}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	o.KubeAPIQPS = float32(qps)
	for _, ns := range strings.Split(watch, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			o.WatchNamespaces = append(o.WatchNamespaces, ns)
		}
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("setup")

	mgr, err := operator.NewManager(ctrl.GetConfigOrDie(), o)
	if err != nil {
		log.Error(err, "unable to set up manager")
		os.Exit(1)
	}
	log.Info("starting manager", "workerImage", o.WorkerImage)
	// SetupSignalHandler cancels on SIGTERM/SIGINT: controllers drain and the
	// leader lease is released for a quick hand-over.
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "manager exited")
		os.Exit(1)
	}
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
