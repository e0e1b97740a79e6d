package devrun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/retention-dev/retention-operator/internal/workload"
)

// cronRun is one CronJob's scheduler goroutine.
type cronRun struct {
	cancel context.CancelFunc
	done   chan struct{}
	// runs counts finished job runs; failed counts those that failed every attempt.
	runs, failed atomic.Int32
	// suspended mirrors spec.suspend at the last look.
	suspended atomic.Bool
	// active is true while a job's process runs.
	active atomic.Bool
}

func (c *cronRun) stop() {
	c.cancel()
	<-c.done
}

func (k *kubelet) syncCronJobs(ctx context.Context, items []batchv1.CronJob) {
	seen := map[types.NamespacedName]bool{}
	k.mu.Lock()
	defer k.mu.Unlock()
	for i := range items {
		cj := &items[i]
		key := types.NamespacedName{Namespace: cj.Namespace, Name: cj.Name}
		seen[key] = true
		if run, ok := k.cronJobs[key]; ok {
			run.suspended.Store(cj.Spec.Suspend != nil && *cj.Spec.Suspend)
			continue
		}
		runCtx, cancel := context.WithCancel(ctx)
		run := &cronRun{cancel: cancel, done: make(chan struct{})}
		run.suspended.Store(cj.Spec.Suspend != nil && *cj.Spec.Suspend)
		k.cronJobs[key] = run
		k.wg.Add(1)
		go func() {
			defer k.wg.Done()
			defer close(run.done)
			k.schedule(runCtx, key, run)
		}()
	}
	for key, run := range k.cronJobs {
		if !seen[key] {
			delete(k.cronJobs, key)
			go run.stop() // the goroutine is waited for by stopAll through wg
		}
	}
}

// schedule runs the job once right away (so the figures appear in the first
// minute instead of at the next slot), then at each time the schedule
// names. Runs never overlap (the operator sets concurrencyPolicy Forbid): the
// next time is computed after a run ends. A suspended CronJob is skipped.
func (k *kubelet) schedule(ctx context.Context, key types.NamespacedName, run *cronRun) {
	next := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
		var cj batchv1.CronJob
		if err := k.c.Get(ctx, key, &cj); err != nil {
			if apierrors.IsNotFound(err) || ctx.Err() != nil {
				return
			}
			next = time.Now().Add(5 * time.Second)
			continue
		}
		spec := cj.Spec.Schedule
		if cj.Spec.TimeZone != nil {
			spec = "CRON_TZ=" + *cj.Spec.TimeZone + " " + spec
		}
		sched, err := cron.ParseStandard(spec)
		if err != nil {
			k.logLine(cj.Name, fmt.Sprintf("schedule %q: %v (the operator validates schedules; retrying in a minute)", spec, err))
			next = time.Now().Add(time.Minute)
			continue
		}
		suspended := cj.Spec.Suspend != nil && *cj.Spec.Suspend
		run.suspended.Store(suspended)
		if !suspended {
			started := metav1.Now()
			run.active.Store(true)
			ok := k.runJob(ctx, &cj)
			run.active.Store(false)
			if ctx.Err() != nil {
				return
			}
			run.runs.Add(1)
			if !ok {
				run.failed.Add(1)
			}
			k.writeCronJobStatus(ctx, key, started, ok)
		}
		next = sched.Next(time.Now())
		if suspended {
			// Look again soon: resuming should not wait for the next slot.
			if soon := time.Now().Add(syncInterval); soon.Before(next) {
				next = soon
			}
		}
	}
}

// runJob runs the job's pod to completion, retrying a failed pod up to
// backoffLimit times (restartPolicy Never, as the operator's CronJobs use).
func (k *kubelet) runJob(ctx context.Context, cj *batchv1.CronJob) bool {
	tmpl := cj.Spec.JobTemplate.Spec
	if n := indexedCompletions(tmpl); n > 1 {
		return k.runIndexedJob(ctx, cj, n)
	}
	return k.runPod(ctx, cj, cj.Name, *tmpl.Template.Spec.DeepCopy())
}

// runPod runs one pod of a job to completion with the job's retries.
func (k *kubelet) runPod(ctx context.Context, cj *batchv1.CronJob, name string, spec corev1.PodSpec) bool {
	tmpl := cj.Spec.JobTemplate.Spec
	attempts := 1
	if tmpl.BackoffLimit != nil {
		attempts += int(*tmpl.BackoffLimit)
	}
	pod := &localPod{k: k, name: name, namespace: cj.Namespace,
		owner: cj.Labels[workload.InstanceLabel], spec: spec}
	var b backoff
	for i := 0; i < attempts; i++ {
		start := time.Now()
		if err := pod.runOnce(ctx); err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(b.delay(time.Since(start))):
		}
	}
	return false
}

// writeCronJobStatus records the run like the CronJob controller does.
func (k *kubelet) writeCronJobStatus(ctx context.Context, key types.NamespacedName, started metav1.Time, ok bool) {
	var cj batchv1.CronJob
	if err := k.c.Get(ctx, key, &cj); err != nil {
		return
	}
	cj.Status.LastScheduleTime = &started
	if ok {
		now := metav1.Now()
		cj.Status.LastSuccessfulTime = &now
	}
	_ = k.c.Status().Update(ctx, &cj)
}

// logLine appends one line to a pod's log.
func (k *kubelet) logLine(pod, line string) {
	f, err := os.OpenFile(filepath.Join(k.o.logsDir(), pod+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "=== %s %s\n", time.Now().UTC().Format(time.RFC3339), line)
}

// podSummary counts the Deployments' worker processes for the view's status
// line: how many run, how many should, how many restarts there were (a
// climbing count is a crash loop: see the pod's log), and running jobs.
func (k *kubelet) podSummary() (running, want, restarts, jobs int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, d := range k.deployments {
		for _, r := range d.snapshot() {
			want++
			if r.pod.running.Load() {
				running++
			}
			restarts += int(r.pod.restarts.Load())
		}
	}
	for _, c := range k.cronJobs {
		if c.active.Load() {
			jobs++
		}
	}
	return running, want, restarts, jobs
}

// cronProgress says whether every CronJob that is not suspended has finished
// at least one run (what --once waits for, so the figures are real).
func (k *kubelet) cronProgress() (total, pending int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, run := range k.cronJobs {
		if run.suspended.Load() {
			continue
		}
		total++
		if run.runs.Load() == 0 {
			pending++
		}
	}
	return total, pending
}
