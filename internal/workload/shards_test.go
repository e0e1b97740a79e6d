package workload

import (
	"encoding/json"
	"slices"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// TestShardedJobShape: one shard (or unset) leaves the CronJob and the
// first-run Job exactly as before; four make both Indexed Jobs of four
// pods at once, each retried like a single pod.
func TestShardedJobShape(t *testing.T) {
	plain, _ := json.Marshal(CronJob(owner, ComponentMetrics, "at-risk-metrics", "0 * * * *", false, testPod()))
	one := testPod()
	one.Shards = 1
	same, _ := json.Marshal(CronJob(owner, ComponentMetrics, "at-risk-metrics", "0 * * * *", false, one))
	if string(plain) != string(same) {
		t.Fatalf("shards 1 changed the CronJob:\n%s\nwant\n%s", same, plain)
	}
	cj := decode[batchv1.CronJob](t, CronJob(owner, ComponentMetrics, "at-risk-metrics", "0 * * * *", false, testPod()))
	if s := cj.Spec.JobTemplate.Spec; s.CompletionMode != nil || s.Completions != nil || s.Parallelism != nil || *s.BackoffLimit != 2 {
		t.Fatalf("unsharded job spec %+v", s)
	}
	four := testPod()
	four.Shards = 4
	four.Env = append(four.Env, ShardRunEnv())
	for name, spec := range map[string]batchv1.JobSpec{
		"cronjob": decode[batchv1.CronJob](t, CronJob(owner, ComponentMetrics, "at-risk-metrics", "0 * * * *", false, four)).Spec.JobTemplate.Spec,
		"job":     decode[batchv1.Job](t, Job(owner, ComponentMetrics, "at-risk-metrics-abc", four)).Spec,
	} {
		if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion ||
			*spec.Completions != 4 || *spec.Parallelism != 4 || *spec.BackoffLimit != 8 {
			t.Errorf("%s: job spec mode %v completions %v parallelism %v backoff %v, want Indexed 4 4 8", name,
				spec.CompletionMode, spec.Completions, spec.Parallelism, spec.BackoffLimit)
		}
		env := spec.Template.Spec.Containers[0].Env
		i := slices.IndexFunc(env, func(e corev1.EnvVar) bool { return e.Name == "RETENTION_SHARD_RUN" })
		if i < 0 || env[i].ValueFrom == nil || env[i].ValueFrom.FieldRef == nil ||
			env[i].ValueFrom.FieldRef.FieldPath != "metadata.labels['batch.kubernetes.io/controller-uid']" {
			t.Errorf("%s: shard run env missing or wrong in %+v", name, env)
		}
	}
}
