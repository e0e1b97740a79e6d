package devrun

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/retention-dev/retention-operator/internal/contract"
)

// indexedCompletions is the pod count of an Indexed Job (a sharded Segment
// metric job); 0 for any other job.
func indexedCompletions(spec batchv1.JobSpec) int {
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion || spec.Completions == nil {
		return 0
	}
	return int(*spec.Completions)
}

// localRuns numbers the Indexed Job runs of this process: the local run's
// stand-in for a Job's uid.
var localRuns atomic.Int64

// runIndexedJob runs an Indexed Job's n pods at once, as the Job controller
// would: pod i gets JOB_COMPLETION_INDEX=i, and the run's id where the pod
// template reads the Job's uid from its controller-uid label. Each index is
// retried on its own; the job succeeds when every index did.
func (k *kubelet) runIndexedJob(ctx context.Context, cj *batchv1.CronJob, n int) bool {
	runID := fmt.Sprintf("local-%s-%d-%d", cj.Name, time.Now().UnixNano(), localRuns.Add(1))
	var failed atomic.Bool
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			spec := indexedPodSpec(cj.Spec.JobTemplate.Spec.Template.Spec, i, runID)
			if !k.runPod(ctx, cj, fmt.Sprintf("%s-%d", cj.Name, i), spec) {
				failed.Store(true)
			}
		})
	}
	wg.Wait()
	return !failed.Load()
}

// indexedPodSpec is pod i's spec: the template with JOB_COMPLETION_INDEX
// set and the controller-uid label reference replaced by runID.
func indexedPodSpec(tmpl corev1.PodSpec, i int, runID string) corev1.PodSpec {
	spec := *tmpl.DeepCopy()
	label := "metadata.labels['" + contract.ShardRunLabel + "']"
	for c := range spec.Containers {
		env := spec.Containers[c].Env
		for e := range env {
			if from := env[e].ValueFrom; from != nil && from.FieldRef != nil && from.FieldRef.FieldPath == label {
				env[e] = corev1.EnvVar{Name: env[e].Name, Value: runID}
			}
		}
		spec.Containers[c].Env = append(env, corev1.EnvVar{Name: contract.EnvCompletionIndex, Value: strconv.Itoa(i)})
	}
	return spec
}
