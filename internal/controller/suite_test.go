package controller_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/retention-dev/retention-operator/internal/controller"
	"github.com/retention-dev/retention-operator/internal/operator"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// The suite runs the production manager (operator.NewManager) against a real
// kube-apiserver and etcd, built by hack/build-k8s-binaries.sh into bin/k8s.
var (
	cfg        *rest.Config
	k8s        client.Client
	testEnv    *envtest.Environment
	kubeconfig string
	// mgr is the manager under test; managerWrites counts its write requests
	// (write_economy_test.go).
	mgr           manager.Manager
	managerWrites = &writeCounter{}
	ctx           context.Context
	cancel        context.CancelFunc
)

const workerImage = "registry.example/retention-operator:test"

func TestControllers(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Controller Suite")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	ctx, cancel = context.WithCancel(context.Background())

	root := filepath.Join("..", "..")
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(root, "bin", "k8s")
	}
	Expect(filepath.Join(assets, "kube-apiserver")).To(BeAnExistingFile(),
		"run `make k8s-binaries` (or `make test`) to build the real API server into bin/k8s")
	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	var err error
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred())

	k8s, err = client.New(cfg, client.Options{Scheme: operator.Scheme()})
	Expect(err).NotTo(HaveOccurred())

	admin, err := testEnv.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	Expect(err).NotTo(HaveOccurred())
	raw, err := admin.KubeConfig()
	Expect(err).NotTo(HaveOccurred())
	kubeconfig = filepath.Join(GinkgoT().TempDir(), "kubeconfig")
	Expect(os.WriteFile(kubeconfig, raw, 0o600)).To(Succeed())

	// No kubelet runs here, so no worker shares or loses state: the suite
	// declares one state store URL the way a local run does. The policy that
	// refuses private state is tested on its own (statestore_test.go).
	mgrCfg := rest.CopyConfig(cfg)
	mgrCfg.Wrap(managerWrites.wrap)
	mgr, err = operator.NewManager(mgrCfg, operator.Options{MetricsAddr: "0", ProbeAddr: "0", WorkerImage: workerImage,
		StateStore: controller.StateStorePolicy{URL: workload.DefaultState}})
	Expect(err).NotTo(HaveOccurred())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	_ = ctrl.Log
})

var _ = AfterSuite(func() {
	cancel()
	// Give the manager a moment to stop its informers before the server goes.
	time.Sleep(200 * time.Millisecond)
	Expect(testEnv.Stop()).To(Succeed())
})
