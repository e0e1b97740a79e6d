// Package contract is the contract between controllers and workers: the
// JSON a controller renders into a worker's spec ConfigMap (mounted at
// workload.SpecFile), and the environment variables it sets. What it carries
// is the engines' typed configuration (journey.Config, loyalty.Config,
// metrics.SegmentConfig, senderconfig.Config, sourceconfig.Config,
// subscription.Config), mapped and validated once by the controller
// (package specmap); a worker decodes it and runs it, with no API types and
// no second mapping. It holds no secret values: those reach the worker as
// environment variables from secretKeyRefs or as mounted files. It imports no
// driver or mail library, so the manager can render it.
package contract

import (
	"encoding/json"
	"fmt"
	"os"
)

// Environment variables set on every worker container.
const (
	// EnvNamespace is the namespace of the owning resource.
	EnvNamespace = "RETENTION_NAMESPACE"
	// EnvReportConfigMap names the ConfigMap the worker writes its summary to.
	EnvReportConfigMap = "RETENTION_REPORT_CONFIGMAP"
	// EnvReportFile, when set, makes the worker write its summary to a file
	// instead (tests and local runs without a cluster).
	EnvReportFile = "RETENTION_REPORT_FILE"
	// EnvDataSourceDSN is the PostgreSQL DSN of a postgres DataSource (from its Secret).
	EnvDataSourceDSN = "RETENTION_DATASOURCE_DSN"
	// EnvStateStore is the state store URL (postgres://... from a Secret, or sqlite:PATH).
	EnvStateStore = "RETENTION_STATE_STORE"
	// EnvShardRun names one run of a sharded metric job (Segment
	// spec.shards > 1): the uid of the Indexed Job whose pods share it,
	// from the pod's ShardRunLabel.
	EnvShardRun = "RETENTION_SHARD_RUN"
	// EnvCompletionIndex is the pod's shard: Kubernetes sets it in every
	// pod of an Indexed Job.
	EnvCompletionIndex = "JOB_COMPLETION_INDEX"
	// EnvMemoryLimit is the worker container's memory limit in bytes (the
	// downward API's limits.memory): the worker keeps its Go heap under a
	// share of it (memtune.FollowLimit).
	EnvMemoryLimit = "RETENTION_MEMORY_LIMIT"
	// EnvCPUProfileDir, when set (never by the operator), makes a worker
	// write a CPU profile of its whole run to <dir>/<command>.cpu.pprof and
	// a heap profile at its live heap's peak to <dir>/<command>.heap.pprof:
	// profiling under a load script (hack/bench-event-to-send.sh).
	EnvCPUProfileDir = "RETENTION_CPU_PROFILE_DIR"
	// ShardRunLabel is the label the Job controller puts on its pods with
	// the Job's uid (Kubernetes 1.27+).
	ShardRunLabel = "batch.kubernetes.io/controller-uid"
)

// Mount directories under workload.SecretsDir.
const (
	ChannelSecretsDir = "channels" // channels/<channel name>/<key>
	APITokenDir       = "api-token"
	AdminTokenDir     = "admin-token"
	LoyaltyTokensDir  = "loyalty" // loyalty/<program name>/<key>, for awardPoints steps
	// PreferencesSecretsDir holds each Channel's spec.preferences signing key:
	// preferences/<channel name>/<key>.
	PreferencesSecretsDir = "preferences"
	// FeedbackSecretsDir holds a Channel's spec.preferences.feedback keys:
	// feedback/<channel name>/<key>.
	FeedbackSecretsDir = "feedback"
)

// Render marshals a worker spec for the ConfigMap.
func Render(v any) (map[string]string, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return map[string]string{"spec.json": string(b)}, nil
}

// Load reads a worker spec file into v.
func Load(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read worker spec: %w (the controller mounts it at %s)", err, path)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parse worker spec %s: %w", path, err)
	}
	return nil
}
