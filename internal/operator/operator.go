// Package operator builds the controller manager exactly as cmd/manager runs
// it, so the envtest suite and the local run exercise the production wiring.
package operator

import (
	"crypto/tls"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/controller"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// Options are the manager's flags.
type Options struct {
	MetricsAddr     string // "0" disables metrics
	SecureMetrics   bool   // serve metrics over HTTPS with authn/authz
	EnableHTTP2     bool
	ProbeAddr       string
	LeaderElection  bool
	LeaderNamespace string
	WorkerImage     string
	// StateStore says where stateful workers keep state by default.
	StateStore controller.StateStorePolicy
	// WatchNamespaces, when set, limits the manager to these namespaces (the
	// chart then grants it Roles there and nothing cluster-wide).
	WatchNamespaces []string
	// MaxConcurrentReconciles is how many objects of one kind reconcile at
	// once (0: DefaultMaxConcurrentReconciles).
	MaxConcurrentReconciles int
	// KubeAPIQPS and KubeAPIBurst limit the manager's requests on the client
	// side. 0 keeps controller-runtime's default: no client-side limit, the
	// API server's priority and fairness decides (client-go's own default of
	// 20 QPS / burst 30 would cap a thousand objects' writes at 50 s).
	KubeAPIQPS   float32
	KubeAPIBurst int
}

// DefaultMaxConcurrentReconciles: reconciles spend most of their time
// waiting on the API server, so several per kind keep it busy; one slow
// object (a large spec to render and check) never holds up the rest.
const DefaultMaxConcurrentReconciles = 8

// secretMetadata is the metadata-only form of a Secret the manager watches.
func secretMetadata() *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}}
}

// keepIdentityOnly drops everything but identity from a cached Secret's
// metadata: annotations, labels and managed fields may echo its data.
func keepIdentityOnly(obj any) (any, error) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return obj, nil
	}
	m.ObjectMeta = metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID,
		ResourceVersion: m.ResourceVersion, Generation: m.Generation}
	return m, nil
}

// Scheme knows the built-in kinds and retention.dev/v1alpha1.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilRuntimeMust(clientgoscheme.AddToScheme(s))
	utilRuntimeMust(v1alpha1.AddToScheme(s))
	return s
}

func utilRuntimeMust(err error) {
	if err != nil {
		panic(err)
	}
}

// NewManager returns a manager with every reconciler registered.
func NewManager(cfg *rest.Config, o Options) (manager.Manager, error) {
	scheme := Scheme()
	cfg = rest.CopyConfig(cfg)
	if o.KubeAPIQPS != 0 {
		cfg.QPS, cfg.Burst = o.KubeAPIQPS, o.KubeAPIBurst
	}
	concurrency := o.MaxConcurrentReconciles
	if concurrency <= 0 {
		concurrency = DefaultMaxConcurrentReconciles
	}
	// HTTP/2 stays off unless asked for (CVE-2023-44487, CVE-2023-39325).
	var tlsOpts []func(*tls.Config)
	if !o.EnableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metrics := metricsserver.Options{BindAddress: o.MetricsAddr, SecureServing: o.SecureMetrics, TLSOpts: tlsOpts}
	if o.SecureMetrics {
		metrics.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	owned := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{workload.ManagedByLabel: workload.ManagedBy})}
	ownedWorkload := owned
	ownedWorkload.Transform = stripPodSpec
	var namespaces map[string]cache.Config
	for _, ns := range o.WatchNamespaces {
		if namespaces == nil {
			namespaces = map[string]cache.Config{}
		}
		namespaces[ns] = cache.Config{}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metrics,
		HealthProbeBindAddress:        o.ProbeAddr,
		LeaderElection:                o.LeaderElection,
		LeaderElectionID:              "retention-operator.retention.dev",
		LeaderElectionNamespace:       o.LeaderNamespace,
		LeaderElectionReleaseOnCancel: true,
		Cache: cache.Options{
			// Cache only what the operator owns; managed fields are dropped
			// because nothing here reads them and they double the memory.
			DefaultTransform:  cache.TransformStripManagedFields(),
			DefaultNamespaces: namespaces,
			ByObject: map[client.Object]cache.ByObject{
				// Secrets are watched by metadata only, to wake the objects
				// that refer to them; even so their annotations may carry
				// contents (kubectl's last-applied-configuration), so the cache
				// keeps a Secret's name, namespace and version and nothing else.
				secretMetadata():         {Transform: keepIdentityOnly},
				&appsv1.Deployment{}:     ownedWorkload,
				&batchv1.CronJob{}:       ownedWorkload,
				&batchv1.Job{}:           ownedWorkload, // first runs, read back before applying (and a CronJob's runs)
				&corev1.ConfigMap{}:      owned,
				&corev1.Service{}:        owned,
				&corev1.ServiceAccount{}: owned,
				&rbacv1.Role{}:           owned,
				&rbacv1.RoleBinding{}:    owned,
			},
		},
		Client: client.Options{Cache: &client.CacheOptions{
			// Secrets and user ConfigMaps are read live by APIReader, never cached.
			DisableFor: []client.Object{&corev1.Secret{}},
		}},
		Controller: config.Controller{
			RecoverPanic:            ptr.To(true),
			MaxConcurrentReconciles: concurrency,
		},
	})
	if err != nil {
		return nil, err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, err
	}
	base := controller.Base{
		Client:      mgr.GetClient(),
		APIReader:   mgr.GetAPIReader(),
		Recorder:    mgr.GetEventRecorder("retention-operator"),
		WorkerImage: o.WorkerImage,
		StateStore:  o.StateStore,
	}
	return mgr, controller.SetupAll(mgr, base)
}
