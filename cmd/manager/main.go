// Command manager runs the retention-operator controllers.
package main

import (
	"flag"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/retention-dev/retention-operator/internal/operator"
)

// defaultWorkerImage is the manager's own image; the chart and kustomize set
// RETENTION_WORKER_IMAGE to it, since a pod cannot read its own image.
const defaultWorkerImage = "ghcr.io/retention-dev/retention-operator:latest"

func main() {
	var o operator.Options
	flag.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8443", `Address of the metrics endpoint (":8080" for HTTP, "0" to disable).`)
	flag.BoolVar(&o.SecureMetrics, "metrics-secure", true, "Serve metrics over HTTPS with Kubernetes authentication and authorization.")
	flag.BoolVar(&o.EnableHTTP2, "enable-http2", false, "Allow HTTP/2 for the metrics server (off: CVE-2023-44487).")
	flag.StringVar(&o.ProbeAddr, "health-probe-bind-address", ":8081", "Address of /healthz and /readyz.")
	flag.BoolVar(&o.LeaderElection, "leader-elect", false, "Elect a leader so only one replica reconciles.")
	flag.StringVar(&o.LeaderNamespace, "leader-election-namespace", "", "Namespace of the leader election lease (default: the pod's).")
	flag.StringVar(&o.WorkerImage, "worker-image", envOr("RETENTION_WORKER_IMAGE", defaultWorkerImage), "Image of worker pods (defaults to the manager's own).")
	zapOpts := zap.Options{Development: false}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
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
