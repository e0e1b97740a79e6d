package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MetricName is one retention metric a Segment's metric job computes.
// +kubebuilder:validation:Enum=retentionRate;churnRate;repeatPurchaseRate;purchaseFrequency;averageOrderValue;historicalCLV;predictedCLV;nps;cohortRetention
type MetricName string

// SegmentSpec selects customers with a CEL expression and measures them.
// A sharded run always recomputes in full: each shard would need its own
// slice of the stored aggregates, so incremental runs take one pod.
// +kubebuilder:validation:XValidation:rule="!has(self.incremental) || !has(self.shards) || self.shards == 1",message="spec.incremental needs spec.shards 1: a sharded run recomputes in full; drop one of them"
type SegmentSpec struct {
	// DataSourceRef names the DataSource holding the customers.
	DataSourceRef LocalObjectReference `json:"dataSourceRef"`
	// Criteria is a CEL expression over `customer` that returns true for
	// members, e.g. `customer.recencyDays > 90.0 && customer.frequency >= 2`.
	// Fields: id, email, timeZone, recencyDays, frequency, monetary,
	// averageOrderValue, tenureDays, windowOrders, windowSpend, firstOrderAt,
	// lastOrderAt, createdAt, nps (-1 when never answered), loyaltyTier,
	// loyaltyPoints, churnProbability, predictedCLV, consentEmail, consentSMS,
	// attributes (map of string to string).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Criteria string `json:"criteria"`
	// Schedule of the metric job (cron). Defaults to hourly.
	// +optional
	// +kubebuilder:default="0 * * * *"
	Schedule Schedule `json:"schedule,omitempty"`
	// Window over which windowed features and metrics are computed, e.g. 90d.
	// +optional
	// +kubebuilder:default="90d"
	Window Duration `json:"window,omitempty"`
	// Metrics to compute for the members.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=9
	Metrics []MetricName `json:"metrics,omitempty"`
	// LoyaltyProgramRef adds loyaltyTier and loyaltyPoints to the features.
	// +optional
	LoyaltyProgramRef *LocalObjectReference `json:"loyaltyProgramRef,omitempty"`
	// Suspend pauses the metric job.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
	// Incremental, when set, keeps every customer's aggregates in the state
	// store and recomputes on each run only the customers whose orders,
	// feedback or customer row changed since the last run, so a daily run
	// costs in proportion to the day's data (docs/metrics-incremental.md).
	// PostgreSQL and SQLite sources only; file sources always run in full.
	// +optional
	Incremental *SegmentIncremental `json:"incremental,omitempty"`
	// Shards splits each metric run across this many pods (an Indexed Job):
	// pod i reads only the customers of hash partition i and the last pod to
	// finish merges the parts into one snapshot and one report, with the
	// same membership and figures as one pod. 1 keeps the single-pod job.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=16
	Shards int32 `json:"shards,omitempty"`
}

// ShardCount is spec.shards, with an unset value read as the CRD's default
// of 1 (objects built in Go skip the API server's defaulting).
func (s SegmentSpec) ShardCount() int {
	return max(1, int(s.Shards))
}

// SegmentIncremental tunes incremental metric runs. Empty fields take the
// defaults of docs/metrics-incremental.md (7d, 7d, 7d).
type SegmentIncremental struct {
	// Overlap is how far before the previous run orders, feedback and
	// customers are read again, so late rows (dated before the previous run
	// but written after it) are picked up. Default 7d.
	// +optional
	Overlap Duration `json:"overlap,omitempty"`
	// FullEvery forces a full recomputation when the last one is older, which
	// also picks up deleted orders and corrections older than the overlap in
	// sources without an updated_at column. Default 7d.
	// +optional
	FullEvery Duration `json:"fullEvery,omitempty"`
	// RefitEvery is how often predictedCLV's models are refitted; runs in
	// between rescore customers with the stored parameters. Default 7d.
	// +optional
	RefitEvery Duration `json:"refitEvery,omitempty"`
}

// SegmentStatus holds aggregates only: never customer data.
type SegmentStatus struct {
	CommonStatus `json:",inline"`
	// MetricNotes explains, per requested metric, why the last run has no
	// value for it (e.g. no customer has a full window yet) and what to change.
	// +optional
	MetricNotes map[string]string `json:"metricNotes,omitempty"`
	// DataIssues counts, by kind (duplicateOrderId, duplicateCustomerId,
	// orphanOrder), the data rows the last run skipped instead of folding
	// them into the figures.
	// +optional
	DataIssues map[string]int64 `json:"dataIssues,omitempty"`
	// RunSpecHash is the hash of the worker spec whose first metric run the
	// operator has started; a new or changed spec runs at once, not at its
	// next scheduled time.
	// +optional
	RunSpecHash string `json:"runSpecHash,omitempty"`
	// Size is the number of members at the last successful run.
	// +optional
	Size *int64 `json:"size,omitempty"`
	// Entered is how many customers joined since the previous run.
	// +optional
	Entered int64 `json:"entered,omitempty"`
	// Exited is how many customers left since the previous run.
	// +optional
	Exited int64 `json:"exited,omitempty"`
	// Metrics holds the requested metrics as decimal strings (percentages for rates).
	// +optional
	Metrics map[string]string `json:"metrics,omitempty"`
	// LastRunTime is when the metric job last ran, successfully or not.
	// +optional
	LastRunTime *metav1.Time `json:"lastRunTime,omitempty"`
	// LastSuccessfulRunTime is when the metric job last succeeded.
	// +optional
	LastSuccessfulRunTime *metav1.Time `json:"lastSuccessfulRunTime,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 44",message="metadata.name must be at most 44 characters: its CronJob <name>-metrics must fit 52 characters"
// +kubebuilder:resource:shortName=seg,categories=retention
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Size",type=integer,JSONPath=`.status.size`
// +kubebuilder:printcolumn:name="Entered",type=integer,JSONPath=`.status.entered`
// +kubebuilder:printcolumn:name="Exited",type=integer,JSONPath=`.status.exited`
// +kubebuilder:printcolumn:name="Retention",type=string,JSONPath=`.status.metrics.retentionRate`
// +kubebuilder:printcolumn:name="Last Run",type=date,JSONPath=`.status.lastRunTime`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Segment is a CEL expression over customer features, and the metric job
// that computes its membership and retention metrics on a schedule.
type Segment struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   SegmentSpec   `json:"spec"`
	Status SegmentStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// SegmentList is a list of Segments.
type SegmentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Segment `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Segment{}, &SegmentList{})
}
