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
	// Preferences gives every message through this Channel signed
	// unsubscribe and preference links (List-Unsubscribe headers on mail,
	// URLs in webhook payloads, {{.unsubscribeURL}} in templates) and runs
	// the Deployment <name>-preferences that serves them.
	// +optional
	Preferences *Preferences `json:"preferences,omitempty"`
}

// Preferences configures one-click unsubscribe (RFC 8058) and the
// preference page for a Channel.
type Preferences struct {
	// PublicURL is where customers reach the <channel>-preferences Service
	// (through your Ingress or Gateway), e.g.
	// https://preferences.shop.example. Links are PublicURL/unsubscribe/TOKEN
	// and PublicURL/preferences/TOKEN.
	// +kubebuilder:validation:Pattern=`^https?://[^\s?#]+$`
	// +kubebuilder:validation:MaxLength=512
	PublicURL string `json:"publicURL"`
	// DataSourceRef names the DataSource whose spec.stateStore keeps the
	// customers' choices; default: the operator's shared state store. Use
	// the store your Playbooks' campaign workers use, or they will not see
	// the unsubscribes.
	// +optional
	DataSourceRef *LocalObjectReference `json:"dataSourceRef,omitempty"`
	// SigningKeyRef holds the HMAC-SHA256 key (at least 32 bytes) that signs
	// the links. Links never expire; changing the key withdraws every link
	// already sent.
	SigningKeyRef SecretKeySelector `json:"signingKeyRef"`
	// Mailto is an address offered as a second List-Unsubscribe entry
	// (mailto:ADDRESS?subject=unsubscribe TOKEN). The operator does not
	// read that mailbox; whoever does records the unsubscribe.
	// +optional
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:Pattern=`^[^\s<>,?@]+@[^\s<>,?@]+$`
	Mailto string `json:"mailto,omitempty"`
	// Topics the preference page offers (a link's own topic is always
	// shown). A topic marked transactional cannot be left.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	Topics []PreferenceTopic `json:"topics,omitempty"`
	// Feedback, when set, has the same server accept the sending provider's
	// bounce and complaint webhooks at PublicURL/feedback/PROVIDER: the
	// addresses they report are suppressed in the state store
	// (docs/deliverability.md).
	// +optional
	Feedback *FeedbackWebhooks `json:"feedback,omitempty"`
}

// FeedbackWebhooks names the providers whose webhooks are accepted and the
// Secret holding their keys (sendgrid-verification-key,
// mailgun-signing-key, postmark-username and postmark-password, as each
// provider needs).
type FeedbackWebhooks struct {
	// Providers accepted.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=3
	// +listType=set
	Providers []FeedbackProvider `json:"providers"`
	// SecretRef names the Secret with the providers' keys.
	SecretRef LocalObjectReference `json:"secretRef"`
}

// FeedbackProvider is a sending provider whose bounce and complaint webhook
// format the operator reads and verifies.
// +kubebuilder:validation:Enum=sendgrid;mailgun;postmark
type FeedbackProvider string

// PreferenceTopic is one topic on the preference page.
type PreferenceTopic struct {
	// Name as send steps give it in spec.steps[].send.topic.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// Description shown on the page.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Description string `json:"description,omitempty"`
	// Transactional topics (receipts, password resets, service notices) are
	// sent whatever the customer chose: their mail has no List-Unsubscribe
	// header and the page shows them fixed.
	// +optional
	Transactional bool `json:"transactional,omitempty"`
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
// +kubebuilder:validation:XValidation:rule="!has(self.spec.preferences) || size(self.metadata.name) <= 51",message="metadata.name must be at most 51 characters with spec.preferences: its Deployment <name>-preferences is a label value of at most 63 characters"
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
