package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ChannelSpec says how messages leave. Exactly one of webhook, smtp or console is set.
// +kubebuilder:validation:XValidation:rule="[has(self.webhook), has(self.smtp), has(self.console)].filter(x, x).size() == 1",message="exactly one of spec.webhook, spec.smtp or spec.console must be set"
type ChannelSpec struct {
	// Webhook POSTs each message as JSON, signed with HMAC-SHA256.
	// +optional
	Webhook *WebhookChannel `json:"webhook,omitempty"`
	// SMTP sends email.
	// +optional
	SMTP *SMTPChannel `json:"smtp,omitempty"`
	// Console prints a one-line summary of each message (local runs).
	// +optional
	Console *ConsoleChannel `json:"console,omitempty"`
	// RateLimit caps how fast this channel sends, across all playbooks' workers
	// of one replica.
	// +optional
	RateLimit *RateLimit `json:"rateLimit,omitempty"`
}

// WebhookChannel posts messages to an HTTPS endpoint.
type WebhookChannel struct {
	// URL receiving the POST.
	// +kubebuilder:validation:Pattern=`^https?://[^\s]+$`
	// +kubebuilder:validation:MaxLength=2048
	URL string `json:"url"`
	// SigningSecretRef holds the HMAC-SHA256 key for the X-Retention-Signature header.
	SigningSecretRef SecretKeySelector `json:"signingSecretRef"`
	// Headers added to every request (no secrets here: they are not redacted).
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	Headers map[string]string `json:"headers,omitempty"`
	// Timeout of one request (default 10s).
	// +optional
	Timeout Duration `json:"timeout,omitempty"`
	// AllowLoopback lets the URL target a loopback address (127.0.0.0/8, ::1,
	// localhost), e.g. a sidecar receiver. Cloud-metadata, link-local and
	// unspecified addresses are refused whatever this says; private networks
	// are always allowed (in-cluster receivers live there).
	// +optional
	AllowLoopback bool `json:"allowLoopback,omitempty"`
}

// SMTPTLSMode selects transport security.
// +kubebuilder:validation:Enum=None;StartTLS;TLS
type SMTPTLSMode string

// Keys an SMTP credentials Secret must hold.
const (
	SMTPUsernameKey = "username"
	SMTPPasswordKey = "password"
)

// SMTPChannel sends email through an SMTP relay.
type SMTPChannel struct {
	// Host of the SMTP relay.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Host string `json:"host"`
	// Port of the SMTP relay, usually 587 (StartTLS) or 465 (TLS).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`
	// From is the sender address, e.g. "Shop <hello@shop.example>".
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=320
	From string `json:"from"`
	// CredentialsSecretRef names a Secret with keys username and password.
	// +optional
	CredentialsSecretRef *LocalObjectReference `json:"credentialsSecretRef,omitempty"`
	// TLS mode: None, StartTLS (default) or TLS.
	// +optional
	TLS SMTPTLSMode `json:"tls,omitempty"`
}

// ConsoleChannel prints messages instead of sending them.
type ConsoleChannel struct{}

// RateLimit is one token bucket per Channel, kept in the shared state store:
// every Playbook and every replica sending through the Channel draws from
// it, so the Channel's rate is perSecond however many send. In any one second
// at most burst + perSecond messages leave.
type RateLimit struct {
	// PerSecond is the sustained rate, across all Playbooks and replicas.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000
	PerSecond int32 `json:"perSecond"`
	// Burst is how many may go at once (default: a tenth of perSecond, at
	// least 1, so no second sees more than 1.2 × perSecond).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000
	Burst int32 `json:"burst,omitempty"`
}

// DefaultBurst is the burst of a rate limit that sets none: a tenth of the
// rate (at least 1). The busiest second then sees at most 1.1 × perSecond
// granted, which stays within 1.2 × perSecond at the receiver even when
// delivery times vary.
func DefaultBurst(perSecond int32) int32 {
	return max(1, perSecond/10)
}

// ChannelStatus reports whether the channel is usable.
type ChannelStatus struct {
	CommonStatus `json:",inline"`
	// Type is the configured kind: Webhook, SMTP or Console.
	// +optional
	Type string `json:"type,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ch,categories=retention
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.status.type`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Channel is a way for messages to leave: a signed webhook, SMTP email, or
// the console. Credentials live only in Secrets.
type Channel struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ChannelSpec   `json:"spec"`
	Status ChannelStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ChannelList is a list of Channels.
type ChannelList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Channel `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Channel{}, &ChannelList{})
}
