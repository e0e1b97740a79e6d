package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Variant is one alternative message of a send step (an A/B/n test). Subject
// and body left empty inherit the step's template; channelRef left empty
// inherits the step's Channel.
type Variant struct {
	// Name of the variant (a DNS label: it appears in status and reports).
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// Weight is the variant's share of the step's sends, relative to the
	// other variants' weights (1:1 and 50:50 are the same split).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000
	Weight int32 `json:"weight"`
	// ChannelRef sends this variant through another Channel.
	// +optional
	ChannelRef *LocalObjectReference `json:"channelRef,omitempty"`
	// Subject replaces the step's subject.
	// +optional
	// +kubebuilder:validation:MaxLength=998
	Subject string `json:"subject,omitempty"`
	// Body replaces the step's body (HTML when the step's template is).
	// +optional
	// +kubebuilder:validation:MaxLength=65536
	Body string `json:"body,omitempty"`
}

// VariantPromote promotes the winning variant automatically: once every
// variant has at least minSamplePerVariant sends, the variant whose
// probability to be best (Bayesian, Beta(1,1) prior) reaches
// probabilityToBeBestPercent is sent to everyone from then on.
type VariantPromote struct {
	// MinSamplePerVariant is the number of sent messages every variant needs
	// before any may be promoted.
	// +kubebuilder:validation:Minimum=1
	MinSamplePerVariant int64 `json:"minSamplePerVariant"`
	// ProbabilityToBeBestPercent is the probability, in percent, that the
	// leading variant has the highest conversion rate, required to promote
	// it (an integer: Kubernetes APIs avoid floating-point fields).
	// +kubebuilder:validation:Minimum=50
	// +kubebuilder:validation:Maximum=99
	ProbabilityToBeBestPercent int32 `json:"probabilityToBeBestPercent"`
}

// VariantStatus is one variant's figures, from the delivery ledger. No
// customer data: counts and rates only.
type VariantStatus struct {
	// Step is the send step the variant belongs to.
	Step string `json:"step"`
	// Name of the variant.
	Name string `json:"name"`
	// Sends are the variant's sent messages.
	Sends int64 `json:"sends"`
	// Conversions are sends whose customer reached the goal after the send.
	Conversions int64 `json:"conversions"`
	// ConversionRate is conversions / sends in percent, e.g. "12.50%".
	// +optional
	ConversionRate string `json:"conversionRate,omitempty"`
	// Interval is the 95% Wilson interval of the rate in percent, "[low%, high%]".
	// +optional
	Interval string `json:"interval,omitempty"`
	// ProbabilityToBeBest that this variant has the highest conversion rate
	// of its step, e.g. "0.9731".
	// +optional
	ProbabilityToBeBest string `json:"probabilityToBeBest,omitempty"`
}

// VariantWinner is the variant a step now sends to everyone.
type VariantWinner struct {
	// Step is the send step.
	Step string `json:"step"`
	// Variant is the winner.
	Variant string `json:"variant"`
	// Reason is Promoted (by spec.steps[].send.promote) or Pinned (by
	// spec.steps[].send.pinned).
	// +kubebuilder:validation:Enum=Promoted;Pinned
	Reason string `json:"reason"`
	// PromotedAt is when the worker promoted it (unset for a pin).
	// +optional
	PromotedAt *metav1.Time `json:"promotedAt,omitempty"`
}

// Reasons of a VariantWinner.
const (
	VariantPromoted = "Promoted"
	VariantPinned   = "Pinned"
)
