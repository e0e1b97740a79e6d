package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LoyaltyProgramSpec describes points, tiers and rewards.
// +kubebuilder:validation:XValidation:rule="!has(self.earnRules.tierMultipliers) || self.earnRules.tierMultipliers.all(m, has(self.tiers) && self.tiers.exists(t, t.name == m.tier))",message="spec.earnRules.tierMultipliers must name tiers listed in spec.tiers"
// +kubebuilder:validation:XValidation:rule="!has(self.rewards) || self.rewards.all(r, !has(r.minTier) || (has(self.tiers) && self.tiers.exists(t, t.name == r.minTier)))",message="spec.rewards[].minTier must name a tier listed in spec.tiers"
type LoyaltyProgramSpec struct {
	// DataSourceRef names the DataSource whose orders and events earn points.
	DataSourceRef LocalObjectReference `json:"dataSourceRef"`
	// Currency of spend, ISO 4217 (e.g. EUR).
	// +kubebuilder:validation:Pattern=`^[A-Z]{3}$`
	Currency string `json:"currency"`
	// PointValue is what one point is worth in the currency, as a decimal
	// string (e.g. "0.01"); the liability in status uses it.
	PointValue Decimal `json:"pointValue"`
	// EarnRules say how points are earned.
	EarnRules EarnRules `json:"earnRules"`
	// TierQualification says what tiers are measured on.
	// +optional
	TierQualification *TierQualification `json:"tierQualification,omitempty"`
	// Tiers in ascending order of threshold.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:XValidation:rule="self.map(t, t.threshold).isSorted() && self.all(t, self.exists_one(u, u.threshold == t.threshold))",message="spec.tiers must be listed in strictly ascending order of threshold"
	Tiers []Tier `json:"tiers,omitempty"`
	// Rewards customers can redeem points for.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=100
	Rewards []Reward `json:"rewards,omitempty"`
	// PointsExpiry says when points expire; without it they never do.
	// +optional
	PointsExpiry *PointsExpiry `json:"pointsExpiry,omitempty"`
	// PendingPeriod keeps earned points pending (not spendable) until the
	// return window passes, e.g. 30d.
	// +optional
	PendingPeriod Duration `json:"pendingPeriod,omitempty"`
	// APITokenSecretRef holds the bearer token the shop uses to call the loyalty
	// API (balances, history, redemptions).
	APITokenSecretRef SecretKeySelector `json:"apiTokenSecretRef"`
	// AdminTokenSecretRef holds the token for admin calls (adjustments, tier
	// changes, expiring points), which playbooks' awardPoints steps use.
	// Without it the admin routes are off, and Playbooks that award points or
	// read tier changes or expiring points in this program are not Ready.
	// +optional
	AdminTokenSecretRef *SecretKeySelector `json:"adminTokenSecretRef,omitempty"`
	// MetricsSchedule is when the expiry and metrics job runs (cron, default every 15 minutes).
	// +optional
	// +kubebuilder:default="*/15 * * * *"
	MetricsSchedule Schedule `json:"metricsSchedule,omitempty"`
	// Replicas of the loyalty API (default 1).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=20
	Replicas *int32 `json:"replicas,omitempty"`
}

// Rounding of fractional points.
// +kubebuilder:validation:Enum=Floor;Round;Ceil
type Rounding string

// EarnRules say how points are earned.
type EarnRules struct {
	// PointsPerUnit is points per one unit of currency spent.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10000
	PointsPerUnit int32 `json:"pointsPerUnit"`
	// Rounding of fractional points per order (default Floor).
	// +optional
	Rounding Rounding `json:"rounding,omitempty"`
	// EventBonuses award fixed points for events (e.g. review_written).
	// +optional
	// +listType=map
	// +listMapKey=eventType
	// +kubebuilder:validation:MaxItems=50
	EventBonuses []EventBonus `json:"eventBonuses,omitempty"`
	// TierMultipliers scale earned points by tier, in percent (150 = 1.5x).
	// +optional
	// +listType=map
	// +listMapKey=tier
	// +kubebuilder:validation:MaxItems=10
	TierMultipliers []TierMultiplier `json:"tierMultipliers,omitempty"`
}

// EventBonus awards points for one event type.
type EventBonus struct {
	// EventType as it appears in the events data.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	EventType string `json:"eventType"`
	// Points awarded per event.
	// +kubebuilder:validation:Minimum=1
	Points int64 `json:"points"`
}

// TierMultiplier scales points earned by members of a tier.
type TierMultiplier struct {
	// Tier name from spec.tiers.
	// +kubebuilder:validation:MaxLength=63
	Tier string `json:"tier"`
	// Percent of base points (150 = 1.5x).
	// +kubebuilder:validation:Minimum=100
	// +kubebuilder:validation:Maximum=1000
	Percent int32 `json:"percent"`
}

// TierQualification is the basis and window tiers are measured on.
type TierQualification struct {
	// Basis: Points earned or Spend in the window (default Points).
	// +optional
	// +kubebuilder:validation:Enum=Points;Spend
	Basis string `json:"basis,omitempty"`
	// Window is the rolling qualification window (default 365d).
	// +optional
	Window Duration `json:"window,omitempty"`
}

// Tier is a membership level.
type Tier struct {
	// Name of the tier.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// Threshold of points or spend in the window to qualify.
	// +kubebuilder:validation:Minimum=0
	Threshold int64 `json:"threshold"`
	// DowngradeGrace is how long a member keeps the tier after falling below it.
	// +optional
	DowngradeGrace Duration `json:"downgradeGrace,omitempty"`
	// Benefits shown to members (exclusive access, free shipping, ...).
	// +optional
	// +kubebuilder:validation:MaxItems=20
	Benefits []string `json:"benefits,omitempty"`
}

// Reward is an item in the catalogue.
type Reward struct {
	// Name of the reward (used in redemption requests).
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// Cost in points.
	// +kubebuilder:validation:Minimum=1
	Cost int64 `json:"cost"`
	// Description shown to members.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Description string `json:"description,omitempty"`
	// MinTier restricts the reward to members of this tier or above (exclusive access).
	// +optional
	// +kubebuilder:validation:MaxLength=63
	MinTier string `json:"minTier,omitempty"`
}

// PointsExpiry says when points expire.
type PointsExpiry struct {
	// Mode: Fixed (each lot expires a fixed time after it was earned) or
	// Inactivity (all points expire after a period without activity).
	// +kubebuilder:validation:Enum=Fixed;Inactivity
	Mode string `json:"mode"`
	// After is the lifetime or the inactivity period, e.g. 365d.
	After Duration `json:"after"`
	// WarningWindow: members whose points expire within it are listed for reminders.
	// +optional
	WarningWindow Duration `json:"warningWindow,omitempty"`
}

// LoyaltyProgramStatus holds aggregates only.
type LoyaltyProgramStatus struct {
	CommonStatus `json:",inline"`
	// Members with at least one ledger entry.
	// +optional
	Members int64 `json:"members,omitempty"`
	// MembersPerTier counts members in each tier.
	// +optional
	MembersPerTier map[string]int64 `json:"membersPerTier,omitempty"`
	// PointsOutstanding is available plus pending points not yet redeemed or expired.
	// +optional
	PointsOutstanding int64 `json:"pointsOutstanding,omitempty"`
	// Liability is PointsOutstanding times pointValue, in the currency.
	// +optional
	Liability string `json:"liability,omitempty"`
	// RedemptionRate is points redeemed / points earned, in percent.
	// +optional
	RedemptionRate string `json:"redemptionRate,omitempty"`
	// Endpoint is the in-cluster URL of the loyalty API.
	// +optional
	Endpoint string `json:"endpoint,omitempty"`
	// LastReportTime is when the worker last reported figures.
	// +optional
	LastReportTime *metav1.Time `json:"lastReportTime,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 36",message="metadata.name must be at most 36 characters: its CronJob <name>-loyalty-metrics must fit 52 characters"
// +kubebuilder:resource:shortName=lp,categories=retention
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Members",type=integer,JSONPath=`.status.members`
// +kubebuilder:printcolumn:name="Points",type=integer,JSONPath=`.status.pointsOutstanding`
// +kubebuilder:printcolumn:name="Liability",type=string,JSONPath=`.status.liability`
// +kubebuilder:printcolumn:name="Currency",type=string,JSONPath=`.spec.currency`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// LoyaltyProgram is points earning rules, tiers, rewards and expiry, served by
// a loyalty worker that keeps an append-only points ledger.
type LoyaltyProgram struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   LoyaltyProgramSpec   `json:"spec"`
	Status LoyaltyProgramStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// LoyaltyProgramList is a list of LoyaltyPrograms.
type LoyaltyProgramList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []LoyaltyProgram `json:"items"`
}

func init() {
	SchemeBuilder.Register(&LoyaltyProgram{}, &LoyaltyProgramList{})
}
