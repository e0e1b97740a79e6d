package devrun

import (
	"context"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/retention-dev/retention-operator/internal/workload"
)

// deploymentRun is one Deployment's local pods at one pod template. Only
// the sync loop changes pods; mu lets the view read them meanwhile.
type deploymentRun struct {
	hash string
	mu   sync.Mutex
	pods []*podRunner
}

// podRunner supervises one replica.
type podRunner struct {
	pod    *localPod
	cancel context.CancelFunc
	done   chan struct{}
}

// snapshot returns the current replicas.
func (d *deploymentRun) snapshot() []*podRunner {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*podRunner(nil), d.pods...)
}

// stop stops every replica at once and waits for them.
func (d *deploymentRun) stop() {
	d.mu.Lock()
	pods := d.pods
	d.pods = nil
	d.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range pods {
		wg.Add(1)
		go func() { defer wg.Done(); r.stop() }()
	}
	wg.Wait()
}

func (r *podRunner) stop() {
	r.cancel()
	<-r.done
}

func (k *kubelet) syncDeployments(ctx context.Context, items []appsv1.Deployment) {
	seen := map[types.NamespacedName]bool{}
	for i := range items {
		d := &items[i]
		key := types.NamespacedName{Namespace: d.Namespace, Name: d.Name}
		seen[key] = true
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		hash := templateHash(d.Spec.Template)
		k.mu.Lock()
		run := k.deployments[key]
		k.mu.Unlock()
		if run != nil && run.hash != hash {
			run.stop() // a new pod template: replace the pods, as a rollout would
			run = nil
		}
		if run == nil {
			run = &deploymentRun{hash: hash}
			k.mu.Lock()
			k.deployments[key] = run
			k.mu.Unlock()
		}
		for have := int32(len(run.snapshot())); have > want; have-- { // scaled down (a suspended Playbook goes to 0)
			run.mu.Lock()
			last := run.pods[len(run.pods)-1]
			run.pods = run.pods[:len(run.pods)-1]
			run.mu.Unlock()
			last.stop()
		}
		for have := int32(len(run.snapshot())); have < want; have++ {
			r := k.startDeploymentPod(ctx, d, int(have))
			run.mu.Lock()
			run.pods = append(run.pods, r)
			run.mu.Unlock()
		}
		k.writeDeploymentStatus(ctx, d, want, run)
	}
	k.mu.Lock()
	var gone []*deploymentRun
	for key, run := range k.deployments {
		if !seen[key] {
			gone = append(gone, run)
			delete(k.deployments, key)
		}
	}
	k.mu.Unlock()
	for _, run := range gone {
		run.stop()
	}
}

// startDeploymentPod runs replica i and restarts it whenever it exits, with
// the kubelet's crash-loop backoff (restartPolicy Always).
func (k *kubelet) startDeploymentPod(ctx context.Context, d *appsv1.Deployment, i int) *podRunner {
	pod := &localPod{
		k: k, name: fmt.Sprintf("%s-%d", d.Name, i), namespace: d.Namespace,
		owner: d.Labels[workload.InstanceLabel], spec: *d.Spec.Template.Spec.DeepCopy(),
	}
	podCtx, cancel := context.WithCancel(ctx)
	r := &podRunner{pod: pod, cancel: cancel, done: make(chan struct{})}
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		defer close(r.done)
		var b backoff
		for {
			start := time.Now()
			_ = pod.runOnce(podCtx)
			if podCtx.Err() != nil {
				return
			}
			pod.restarts.Add(1)
			select {
			case <-podCtx.Done():
				return
			case <-time.After(b.delay(time.Since(start))):
			}
		}
	}()
	return r
}

// writeDeploymentStatus reports the replicas as the deployment controller
// would: available while the process runs and its readiness probe passes.
// It writes only when something changed, so a steady run causes no traffic
// and the operator sees no spurious events.
func (k *kubelet) writeDeploymentStatus(ctx context.Context, d *appsv1.Deployment, want int32, run *deploymentRun) {
	var running, ready int32
	for _, r := range run.snapshot() {
		if r.pod.running.Load() {
			running++
		}
		if r.pod.ready.Load() {
			ready++
		}
	}
	cond := appsv1.DeploymentCondition{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue,
		Reason: "MinimumReplicasAvailable", Message: "Deployment has minimum availability."}
	if ready < want {
		cond.Status, cond.Reason = corev1.ConditionFalse, "MinimumReplicasUnavailable"
		cond.Message = fmt.Sprintf("%d of %d local worker processes ready (logs in %s)", ready, want, k.o.logsDir())
	}
	st := d.Status
	old := findDeploymentCondition(st.Conditions, appsv1.DeploymentAvailable)
	if st.ObservedGeneration == d.Generation && st.Replicas == running && st.UpdatedReplicas == running &&
		st.ReadyReplicas == ready && st.AvailableReplicas == ready && st.UnavailableReplicas == want-ready &&
		old != nil && old.Status == cond.Status && old.Reason == cond.Reason && old.Message == cond.Message {
		return
	}
	now := metav1.Now()
	cond.LastUpdateTime, cond.LastTransitionTime = now, now
	if old != nil && old.Status == cond.Status {
		cond.LastTransitionTime = old.LastTransitionTime
	}
	d = d.DeepCopy()
	d.Status = appsv1.DeploymentStatus{
		ObservedGeneration: d.Generation, Replicas: running, UpdatedReplicas: running,
		ReadyReplicas: ready, AvailableReplicas: ready, UnavailableReplicas: want - ready,
		Conditions: []appsv1.DeploymentCondition{cond},
	}
	_ = k.c.Status().Update(ctx, d) // a conflict is retried on the next sync
}

func findDeploymentCondition(conds []appsv1.DeploymentCondition, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}
