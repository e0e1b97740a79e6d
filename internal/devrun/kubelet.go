package devrun

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/internal/workload"
)

// syncInterval is how often the local kubelet compares what should run with
// what runs. Polling a local API server every second is cheap and keeps the
// code free of informer plumbing.
const syncInterval = time.Second

// kubelet stands in for the kubelet, the deployment controller, the CronJob
// controller and the garbage collector, for the workloads the operator owns (labelled
// app.kubernetes.io/managed-by=retention-operator): it runs their pods as
// local processes and writes back the status those controllers would.
type kubelet struct {
	o       Options
	c       client.Client
	cp      *controlPlane
	console *consoleLog

	mu          sync.Mutex
	deployments map[types.NamespacedName]*deploymentRun
	cronJobs    map[types.NamespacedName]*cronRun
	wg          sync.WaitGroup
}

func newKubelet(o Options, c client.Client, cp *controlPlane, console *consoleLog) (*kubelet, error) {
	for _, dir := range []string{o.podsDir(), o.logsDir()} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	return &kubelet{o: o, c: c, cp: cp, console: console,
		deployments: map[types.NamespacedName]*deploymentRun{}, cronJobs: map[types.NamespacedName]*cronRun{}}, nil
}

// run syncs until ctx ends, then stops every pod (SIGTERM, SIGKILL after
// terminationGrace) and returns once all have exited.
func (k *kubelet) run(ctx context.Context) {
	tick := time.NewTicker(syncInterval)
	defer tick.Stop()
	for n := 0; ; n++ {
		if n%gcEvery == gcEvery-1 {
			k.collectGarbage(ctx)
		}
		k.sync(ctx)
		select {
		case <-ctx.Done():
			k.stopAll()
			return
		case <-tick.C:
		}
	}
}

var managedBy = client.MatchingLabels{workload.ManagedByLabel: workload.ManagedBy}

func (k *kubelet) sync(ctx context.Context) {
	var deps appsv1.DeploymentList
	if err := k.c.List(ctx, &deps, managedBy); err == nil {
		k.syncDeployments(ctx, deps.Items)
	}
	var cjs batchv1.CronJobList
	if err := k.c.List(ctx, &cjs, managedBy); err == nil {
		k.syncCronJobs(ctx, cjs.Items)
	}
}

func (k *kubelet) stopAll() {
	k.mu.Lock()
	for key, d := range k.deployments {
		d.stop()
		delete(k.deployments, key)
	}
	for key, c := range k.cronJobs {
		c.stop()
		delete(k.cronJobs, key)
	}
	k.mu.Unlock()
	k.wg.Wait()
}

// Command is what a local pod runs, as recorded in <pod>/.command.json.
type Command struct {
	PID  int      `json:"pid"`
	Args []string `json:"args"`
	Env  []string `json:"env"`
	Dir  string   `json:"dir"`
}

// CommandFile is the record of a local pod's current process under WorkDir/pods/<pod>/.
const CommandFile = ".command.json"

// started records what a pod runs in <pod>/.command.json (mode 0600: the
// environment may hold Secret values), for `cat` when a worker misbehaves.
func (k *kubelet) started(p *localPod, cmd *exec.Cmd) {
	b, err := json.MarshalIndent(Command{PID: cmd.Process.Pid, Args: cmd.Args, Env: cmd.Env, Dir: cmd.Dir}, "", "  ")
	if err == nil {
		_ = os.WriteFile(filepath.Join(p.root(), CommandFile), b, 0o600)
	}
}

// templateHash identifies a pod template; a change restarts the pods, as a
// Deployment rollout would (the operator changes the spec-hash annotation
// whenever the rendered spec changes).
func templateHash(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:10]
}
