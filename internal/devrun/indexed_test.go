package devrun

import (
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/retention-dev/retention-operator/internal/workload"
)

// TestIndexedPodSpec: the local run gives pod i of a sharded metric job
// what the Job controller would: its index and the run's id.
func TestIndexedPodSpec(t *testing.T) {
	tmpl := corev1.PodSpec{Containers: []corev1.Container{{Name: "worker",
		Env: []corev1.EnvVar{{Name: "A", Value: "a"}, workload.ShardRunEnv()}}}}
	spec := indexedPodSpec(tmpl, 2, "run-1")
	env := spec.Containers[0].Env
	want := []corev1.EnvVar{{Name: "A", Value: "a"}, {Name: "RETENTION_SHARD_RUN", Value: "run-1"}, {Name: "JOB_COMPLETION_INDEX", Value: "2"}}
	if len(env) != len(want) {
		t.Fatalf("env %+v, want %+v", env, want)
	}
	for i := range want {
		if env[i].Name != want[i].Name || env[i].Value != want[i].Value || env[i].ValueFrom != nil {
			t.Errorf("env[%d] = %+v, want %+v", i, env[i], want[i])
		}
	}
	if tmpl.Containers[0].Env[1].ValueFrom == nil || len(tmpl.Containers[0].Env) != 2 {
		t.Error("the template was changed")
	}
	indexedMode := batchv1.IndexedCompletion
	four := int32(4)
	if n := indexedCompletions(batchv1.JobSpec{CompletionMode: &indexedMode, Completions: &four}); n != 4 {
		t.Errorf("indexed completions %d, want 4", n)
	}
	if n := indexedCompletions(batchv1.JobSpec{Completions: &four}); n != 0 {
		t.Errorf("a non-indexed job counted %d indexed pods", n)
	}
}
