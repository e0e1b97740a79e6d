// Package workerconfig is the contract between controllers and workers: the
// JSON a controller renders into a worker's spec ConfigMap (mounted at
// workload.SpecFile), and the environment variables it sets. It holds specs
// only: secret values reach the worker as environment variables from
// secretKeyRefs or as mounted files, never through this file.
package workerconfig

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
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

// Preferences is what the preference page server of one Channel reads.
type Preferences struct {
	Namespace string               `json:"namespace"`
	Name      string               `json:"name"`
	Spec      v1alpha1.ChannelSpec `json:"spec"`
}

// Segment is what the metric job reads.
type Segment struct {
	Namespace  string                  `json:"namespace"`
	Name       string                  `json:"name"`
	Spec       v1alpha1.SegmentSpec    `json:"spec"`
	DataSource v1alpha1.DataSourceSpec `json:"dataSource"`
	// LoyaltyProgram is the spec of spec.loyaltyProgramRef, whose ledger in
	// the shared state store supplies customer.loyaltyTier and loyaltyPoints.
	LoyaltyProgram *v1alpha1.LoyaltyProgramSpec `json:"loyaltyProgram,omitempty"`
}

// Playbook is what the campaign worker reads.
type Playbook struct {
	Namespace string                          `json:"namespace"`
	Name      string                          `json:"name"`
	Spec      v1alpha1.PlaybookSpec           `json:"spec"`
	Segment   Segment                         `json:"segment"`
	Channels  map[string]v1alpha1.ChannelSpec `json:"channels"`
	// LoyaltyPrograms maps a program name to its API endpoint and token key,
	// for awardPoints steps and tierChange triggers.
	LoyaltyPrograms map[string]LoyaltyEndpoint `json:"loyaltyPrograms,omitempty"`
}

// LoyaltyEndpoint is how a campaign worker reaches a loyalty worker: its URL
// and the key of the admin token mounted at loyalty/<program>/<TokenKey>.
type LoyaltyEndpoint struct {
	URL      string `json:"url"`
	TokenKey string `json:"tokenKey"`
}

// Loyalty is what the loyalty worker and its metrics job read.
type Loyalty struct {
	Namespace  string                      `json:"namespace"`
	Name       string                      `json:"name"`
	Spec       v1alpha1.LoyaltyProgramSpec `json:"spec"`
	DataSource v1alpha1.DataSourceSpec     `json:"dataSource"`
}

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
