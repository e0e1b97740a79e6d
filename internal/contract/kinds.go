package contract

import (
	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/metrics"
	"github.com/retention-dev/retention-operator/internal/subscription"
)

// DataSource is a worker's data source: the connector configuration with
// what only the pod has (the DSN, where the data mount is) left for the
// worker to fill in.
type DataSource struct {
	Config sourceconfig.Config `json:"config"`
	// Mounted says Config.Path is relative to the data mount
	// (workload.DataDir, spec.file.configMapRef), not a path of the user's.
	Mounted bool `json:"mounted,omitempty"`
	// DSNSecret, for postgres, names the Secret key the DSN comes from (as
	// EnvDataSourceDSN), so a worker without it can say which.
	DSNSecret *SecretKey `json:"dsnSecret,omitempty"`
	// IngestSource is the name the DataSource's ingested events and traits
	// are stored under (IngestSource(namespace, name)).
	IngestSource string `json:"ingestSource"`
	// Ingest says the DataSource has spec.ingest: its identify traits are
	// laid over the customer rows.
	Ingest bool `json:"ingest,omitempty"`
}

// SecretKey names a key of a Secret (never its value).
type SecretKey struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// Segment is what the metric job reads, and the campaign worker's view of
// its Playbook's Segment.
type Segment struct {
	Namespace  string                `json:"namespace"`
	Name       string                `json:"name"`
	Config     metrics.SegmentConfig `json:"config"`
	DataSource DataSource            `json:"dataSource"`
	// LoyaltyProgram names spec.loyaltyProgramRef ("" for none): its ledger
	// in the shared state store supplies customer.loyaltyTier and
	// loyaltyPoints.
	LoyaltyProgram string `json:"loyaltyProgram,omitempty"`
	// Loyalty is that program's configuration (the metric job's only).
	Loyalty *loyalty.Config `json:"loyalty,omitempty"`
}

// Playbook is what the campaign worker reads.
type Playbook struct {
	Namespace string         `json:"namespace"`
	Name      string         `json:"name"`
	Journey   journey.Config `json:"journey"`
	Segment   Segment        `json:"segment"`
	// InitialMembers is spec.trigger.segmentEntry.initialMembers (Enrol or
	// Skip; "" is Enrol).
	InitialMembers string `json:"initialMembers,omitempty"`
	// Replicas is spec.workers.replicas (at least 1): the shards the
	// campaign replicas lease.
	Replicas int                `json:"replicas"`
	Channels map[string]Channel `json:"channels"`
	// LoyaltyPrograms maps a program name to its API endpoint and token key,
	// for awardPoints steps and tierChange triggers.
	LoyaltyPrograms map[string]LoyaltyEndpoint `json:"loyaltyPrograms,omitempty"`
}

// Channel is one Channel a campaign worker sends through, its Secret
// mounted at ChannelSecretsDir/<name>.
type Channel struct {
	Sender senderconfig.Config `json:"sender"`
	// Kind decides the consent a send needs (journey.HasConsent).
	Kind journey.ChannelKind `json:"kind"`
	// Preferences, when the Channel sets spec.preferences, signs its
	// messages' unsubscribe and preference links.
	Preferences *ChannelPreferences `json:"preferences,omitempty"`
}

// ChannelPreferences is a Channel's spec.preferences.
type ChannelPreferences struct {
	Config subscription.Config `json:"config"`
	// SigningKey is mounted at PreferencesSecretsDir/<channel>/<Key>.
	SigningKey SecretKey `json:"signingKey"`
	// Feedback names the providers whose bounce and complaint webhooks the
	// page server accepts (keys mounted at FeedbackSecretsDir/<channel>).
	Feedback []string `json:"feedback,omitempty"`
}

// Preferences is what the preference page server of one Channel reads.
type Preferences struct {
	Namespace   string             `json:"namespace"`
	Name        string             `json:"name"`
	Preferences ChannelPreferences `json:"preferences"`
}

// Loyalty is what the loyalty worker and its metrics job read.
type Loyalty struct {
	Namespace  string         `json:"namespace"`
	Name       string         `json:"name"`
	Program    loyalty.Config `json:"program"`
	DataSource DataSource     `json:"dataSource"`
	// APITokenKey is the key of spec.apiTokenSecretRef, mounted at
	// APITokenDir/<key>.
	APITokenKey string `json:"apiTokenKey,omitempty"`
	// AdminTokenKey is the key of spec.adminTokenSecretRef ("" for none),
	// mounted at AdminTokenDir/<key>.
	AdminTokenKey string `json:"adminTokenKey,omitempty"`
}

// LoyaltyEndpoint is how a campaign worker reaches a loyalty worker: its URL
// and the key of the admin token mounted at loyalty/<program>/<TokenKey>.
type LoyaltyEndpoint struct {
	URL      string `json:"url"`
	TokenKey string `json:"tokenKey"`
}
