package metrics

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/report"
)

// errShardLeftToOthers: this shard finished and another publishes the run.
var errShardLeftToOthers = errors.New("shard finished; another shard publishes the run")

// runShardFromEnv runs this pod's shard: the index is the Indexed Job's
// JOB_COMPLETION_INDEX (set by Kubernetes), the run id the Job's uid
// (contract.EnvShardRun, from the pod's controller-uid label).
func runShardFromEnv(ctx context.Context, opts Options) (report.Segment, error) {
	sh, err := ShardFromEnv()
	if err != nil {
		return report.Segment{Error: err.Error()}, err
	}
	sum, publish, err := RunShard(ctx, opts, sh)
	if !publish && err == nil {
		return sum, errShardLeftToOthers
	}
	return sum, err
}

// ShardFromEnv reads the pod's shard from its environment.
func ShardFromEnv() (Shard, error) {
	raw := os.Getenv(contract.EnvCompletionIndex)
	if raw == "" {
		return Shard{}, fmt.Errorf("spec.shards > 1 but %s is not set: the metric job must run as the operator's Indexed Job", contract.EnvCompletionIndex)
	}
	index, err := strconv.Atoi(raw)
	if err != nil || index < 0 {
		return Shard{}, fmt.Errorf("%s %q is not a completion index (0, 1, ...)", contract.EnvCompletionIndex, raw)
	}
	id := os.Getenv(contract.EnvShardRun)
	if id == "" {
		return Shard{}, fmt.Errorf("spec.shards > 1 but %s (the Job's uid) is not set: the metric job must run as the operator's Indexed Job", contract.EnvShardRun)
	}
	return Shard{RunID: id, Index: index}, nil
}
