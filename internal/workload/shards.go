package workload

import (
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	batchv1ac "k8s.io/client-go/applyconfigurations/batch/v1"

	"github.com/retention-dev/retention-operator/internal/contract"
)

// indexed makes a worker Job run its pod shards times at once, as an
// Indexed Job: Kubernetes gives pod i JOB_COMPLETION_INDEX=i, and every pod
// of the Job carries the Job's uid in its ShardRunLabel, so the pods know
// their part (i of shards) and which run they belong to. A failed index is
// retried like a single pod is (twice), whichever index fails.
func indexed(spec *batchv1ac.JobSpecApplyConfiguration, shards int32) {
	spec.WithCompletionMode(batchv1.IndexedCompletion).
		WithCompletions(shards).
		WithParallelism(shards).
		WithBackoffLimit(2 * shards)
}

// ShardRunEnv is the environment variable that tells a sharded worker which
// run it is part of: the Job's uid, read from the label the Job controller
// puts on its pods.
func ShardRunEnv() corev1.EnvVar {
	return corev1.EnvVar{Name: contract.EnvShardRun, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
		FieldPath: "metadata.labels['" + contract.ShardRunLabel + "']"}}}
}
