package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PlaybookSpec is an outreach journey for the members of a segment.
// +kubebuilder:validation:XValidation:rule="!has(self.trigger.broadcast) || !has(self.reentry) || self.reentry.policy == 'Once'",message="spec.reentry must be Once with a broadcast trigger: a broadcast enrols each member once"
// +kubebuilder:validation:XValidation:rule="self.steps.all(s, !has(s.branch) || (self.steps.exists(t, t.name == s.branch.then) && (!has(s.branch.__else__) || self.steps.exists(t, t.name == s.branch.__else__))))",message="spec.steps[].branch.then and .else must name a step in spec.steps"
// +kubebuilder:validation:XValidation:rule="self.steps.all(s, !has(s.waitFor) || ((!has(s.waitFor.then) || self.steps.exists(t, t.name == s.waitFor.then)) && (!has(s.waitFor.__else__) || self.steps.exists(t, t.name == s.waitFor.__else__))))",message="spec.steps[].waitFor.then and .else must name a step in spec.steps"
type PlaybookSpec struct {
	// SegmentRef names the Segment whose members the journey is for.
	SegmentRef LocalObjectReference `json:"segmentRef"`
	// Trigger says when a member enters the journey.
	Trigger Trigger `json:"trigger"`
	// Reentry says whether a customer may enter again (default Once).
	// +optional
	Reentry *Reentry `json:"reentry,omitempty"`
	// Steps run in order; branch jumps to a named step; the journey ends after
	// the last step or at an exit.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	Steps []Step `json:"steps"`
	// FrequencyCap limits messages per customer across all playbooks in the namespace.
	// +optional
	FrequencyCap *FrequencyCap `json:"frequencyCap,omitempty"`
	// QuietHours defer sends that fall inside them, in the customer's time zone.
	// +optional
	QuietHours *QuietHours `json:"quietHours,omitempty"`
	// LedgerRetention is how long the delivery ledger keeps each message's
	// address, subject and bodies (default 30d, between 1h and 3650d);
	// after it they are cleared and only keys, statuses and figures stay
	// (docs/privacy.md).
	// +optional
	LedgerRetention Duration `json:"ledgerRetention,omitempty"`
	// HoldoutPercent of the audience is enrolled but never messaged, to measure lift.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=50
	HoldoutPercent int32 `json:"holdoutPercent,omitempty"`
	// Goal is the conversion the journey is for; reaching it ends the journey.
	// +optional
	Goal *Goal `json:"goal,omitempty"`
	// DryRun renders and records what would be sent, and sends nothing.
	// +optional
	DryRun bool `json:"dryRun,omitempty"`
	// Suspend stops sending; resuming continues where it stopped.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
	// Workers sizes the campaign worker Deployment.
	// +optional
	Workers *Workers `json:"workers,omitempty"`
}

// Trigger is exactly one way of entering the journey.
// +kubebuilder:validation:XValidation:rule="[has(self.segmentEntry), has(self.schedule), has(self.event), has(self.inactivity), has(self.anniversary), has(self.tierChange), has(self.broadcast)].filter(x, x).size() == 1",message="spec.trigger must set exactly one of segmentEntry, schedule, event, inactivity, anniversary, tierChange, broadcast"
type Trigger struct {
	// SegmentEntry enrols customers when they join the segment.
	// +optional
	SegmentEntry *SegmentEntryTrigger `json:"segmentEntry,omitempty"`
	// Schedule enrols all current members on a cron schedule (newsletters, surveys).
	// +optional
	Schedule *ScheduleTrigger `json:"schedule,omitempty"`
	// Event enrols members when an event of this type arrives.
	// +optional
	Event *EventTrigger `json:"event,omitempty"`
	// Inactivity enrols members with no order or event for a duration.
	// +optional
	Inactivity *InactivityTrigger `json:"inactivity,omitempty"`
	// Anniversary enrols members on the anniversary of sign-up or first order.
	// +optional
	Anniversary *AnniversaryTrigger `json:"anniversary,omitempty"`
	// TierChange enrols members whose loyalty tier changes.
	// +optional
	TierChange *TierChangeTrigger `json:"tierChange,omitempty"`
	// Broadcast enrols every member once, at a time: a one-off send
	// (docs/broadcasts.md).
	// +optional
	Broadcast *BroadcastTrigger `json:"broadcast,omitempty"`
}

// BroadcastTrigger is a one-off send to the members of the Segment at a
// time. Consent, frequency caps, quiet hours, holdout and goal apply as to
// any journey.
type BroadcastTrigger struct {
	// At is when the broadcast starts, RFC 3339 with a zone offset, e.g.
	// 2026-12-01T09:00:00Z. Before it nobody is enrolled; at it every
	// member of the Segment is enrolled, once.
	// +kubebuilder:validation:Format=date-time
	// +kubebuilder:validation:MaxLength=64
	At string `json:"at"`
	// LocalTime, e.g. "10:00", sends to each member at the first time their
	// own clock (their time zone, else quietHours.defaultTimeZone, else UTC)
	// reads it, at or after At. Without it everyone is sent to at At.
	// +optional
	LocalTime LocalTime `json:"localTime,omitempty"`
	// StartingDeadline is how late after At the broadcast may still start,
	// e.g. when the Playbook is applied after At or its worker was down
	// (default 24h). Past it nothing is sent and status.broadcast.state is
	// Missed.
	// +optional
	StartingDeadline Duration `json:"startingDeadline,omitempty"`
}

// SegmentEntryTrigger enrols customers as they enter the Segment.
type SegmentEntryTrigger struct {
	// InitialMembers says what happens to the customers already in the
	// Segment when the Playbook first runs: Enrol them (the default) or Skip
	// them and enrol only customers who enter afterwards.
	// +optional
	// +kubebuilder:validation:Enum=Enrol;Skip
	InitialMembers string `json:"initialMembers,omitempty"`
}

// ScheduleTrigger enrols on a cron schedule.
type ScheduleTrigger struct {
	// Cron expression.
	Cron Schedule `json:"cron"`
}

// EventTrigger enrols on an event type.
// +kubebuilder:validation:XValidation:rule="!has(self.programRef) || self.type == 'points_expiring'",message="spec.trigger.event.programRef supports type points_expiring only"
// +kubebuilder:validation:XValidation:rule="!has(self.programRef) || !has(self.where)",message="spec.trigger.event.where applies to events of the DataSource, not to programRef"
type EventTrigger struct {
	// Type of the event, e.g. cart_abandoned or survey_answered (events in
	// the DataSource), or points_expiring with programRef.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Type string `json:"type"`
	// ProgramRef takes the events from a LoyaltyProgram instead of the
	// DataSource: points_expiring fires for members whose points expire
	// within the program's pointsExpiry.warningWindow.
	// +optional
	ProgramRef *LocalObjectReference `json:"programRef,omitempty"`
	// Where filters the events that enrol: a CEL expression over the event
	// (event.type, event.properties) and the customer returning bool, e.g.
	// "event.properties.total > 100.0". An event it does not hold for (or
	// that lacks a property it reads) does not enrol.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Where string `json:"where,omitempty"`
}

// InactivityTrigger enrols after a quiet period.
type InactivityTrigger struct {
	// After this long without activity, e.g. 60d.
	After Duration `json:"after"`
}

// AnniversaryTrigger enrols on an anniversary.
type AnniversaryTrigger struct {
	// Of: SignUp or FirstOrder.
	// +kubebuilder:validation:Enum=SignUp;FirstOrder
	Of string `json:"of"`
}

// TierChangeTrigger enrols on a loyalty tier change.
type TierChangeTrigger struct {
	// ProgramRef names the LoyaltyProgram.
	ProgramRef LocalObjectReference `json:"programRef"`
	// To is the tier whose entry triggers the journey (e.g. gold for an upgrade
	// thank-you, bronze for a downgrade save).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	To string `json:"to"`
}

// Reentry policy.
// +kubebuilder:validation:XValidation:rule="self.policy != 'AfterCooldown' || has(self.cooldown)",message="spec.reentry.cooldown is required when policy is AfterCooldown"
type Reentry struct {
	// Policy: Once (default) or AfterCooldown.
	// +kubebuilder:validation:Enum=Once;AfterCooldown
	Policy string `json:"policy"`
	// Cooldown before a customer may enter again.
	// +optional
	Cooldown Duration `json:"cooldown,omitempty"`
}

// Step is one named step; it sets exactly one action.
// +kubebuilder:validation:XValidation:rule="[has(self.send), has(self.wait), has(self.waitFor), has(self.branch), has(self.awardPoints), has(self.exit)].filter(x, x).size() == 1",message="each step must set exactly one of send, wait, waitFor, branch, awardPoints, exit"
type Step struct {
	// Name of the step (branches jump to it; journey members report it).
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// Send a message through a Channel.
	// +optional
	Send *SendStep `json:"send,omitempty"`
	// Wait for a duration or until a local time of day.
	// +optional
	Wait *WaitStep `json:"wait,omitempty"`
	// WaitFor waits for an event, with a timeout: the abandoned-cart
	// pattern (no order_placed within 2h: remind).
	// +optional
	WaitFor *WaitForStep `json:"waitFor,omitempty"`
	// Branch on a CEL condition.
	// +optional
	Branch *BranchStep `json:"branch,omitempty"`
	// AwardPoints credits loyalty points.
	// +optional
	AwardPoints *AwardPointsStep `json:"awardPoints,omitempty"`
	// Exit ends the journey (when the condition holds, or always without one).
	// +optional
	Exit *ExitStep `json:"exit,omitempty"`
}

// SendStep sends a templated message.
// +kubebuilder:validation:XValidation:rule="!has(self.pinned) || (has(self.variants) && self.variants.exists(v, v.name == self.pinned))",message="spec.steps[].send.pinned must name one of the step's variants"
// +kubebuilder:validation:XValidation:rule="!has(self.promote) || has(self.variants)",message="spec.steps[].send.promote needs variants"
type SendStep struct {
	// ChannelRef names the Channel.
	ChannelRef LocalObjectReference `json:"channelRef"`
	// Topic is what the message is about, e.g. newsletter, offers or
	// service: a customer who unsubscribed from the topic (one-click link or
	// preference page, see the Channel's spec.preferences) is not sent it by
	// any Playbook. Default: DefaultTopic ("general").
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	Topic string `json:"topic,omitempty"`
	// Template of the message.
	Template MessageTemplate `json:"template"`
	// Variants split the step's sends between alternative messages (an
	// A/B/n test). Each customer is assigned one by weight, from a hash of
	// playbook, step and customer: the same on every replica and restart,
	// and never for a holdout customer. At most 8 (journey.MaxVariants).
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=2
	// +kubebuilder:validation:MaxItems=8
	Variants []Variant `json:"variants,omitempty"`
	// Pinned names the variant every new send uses, overriding assignment
	// and any promotion.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Pinned string `json:"pinned,omitempty"`
	// Promote promotes the winning variant automatically after a minimum sample.
	// +optional
	Promote *VariantPromote `json:"promote,omitempty"`
}

// DefaultTopic is the topic of a send step that names none. It is applied
// when the spec is mapped (specmap), not by the API server, so the stored
// object stays as written.
const DefaultTopic = "general"

// MessageTemplate is a Go template over the customer, with the same field
// names as CEL criteria: {{.email}}, {{.frequency}}, {{.loyaltyTier}},
// {{.loyaltyPoints}}, {{index .attributes "firstName"}}, and the message's
// signed links {{.unsubscribeURL}} and {{.preferencesURL}} (empty unless the
// Channel sets spec.preferences) ... A template that
// names an unknown field is rejected before anything is sent.
type MessageTemplate struct {
	// Subject line (email) or title (webhook).
	// +optional
	// +kubebuilder:validation:MaxLength=998
	Subject string `json:"subject,omitempty"`
	// Body of the message.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=65536
	Body string `json:"body"`
	// HTML marks the body as HTML (escaped as HTML when rendered).
	// +optional
	HTML bool `json:"html,omitempty"`
}

// WaitStep waits for a duration or until a local time of day.
// +kubebuilder:validation:XValidation:rule="has(self.duration) != has(self.until)",message="wait must set exactly one of duration or until"
type WaitStep struct {
	// Duration to wait, e.g. 3d.
	// +optional
	Duration Duration `json:"duration,omitempty"`
	// Until is the next local time of day in the customer's time zone, e.g. "09:00".
	// +optional
	Until LocalTime `json:"until,omitempty"`
}

// WaitForStep waits for an event of the customer, at most Timeout.
type WaitForStep struct {
	// Event is the event type awaited: a track event of the ingestion API or
	// a row of the DataSource's events, or order_placed, which also matches
	// rows of the DataSource's orders.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Event string `json:"event"`
	// Timeout is how long to wait, e.g. 2h or 3d (at most 90d). On the
	// triggering tick it counts from the triggering event.
	Timeout Duration `json:"timeout"`
	// Then is the step to go to when the event arrives in time (the next
	// step when empty).
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Then string `json:"then,omitempty"`
	// Else is the step to go to on timeout (the next step when empty).
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Else string `json:"else,omitempty"`
}

// BranchStep jumps on a condition.
type BranchStep struct {
	// If is a CEL expression over customer and journey returning bool.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	If string `json:"if"`
	// Then is the step to go to when If holds.
	// +kubebuilder:validation:MaxLength=63
	Then string `json:"then"`
	// Else is the step to go to otherwise (the next step when empty).
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Else string `json:"else,omitempty"`
}

// AwardPointsStep credits points in a LoyaltyProgram.
type AwardPointsStep struct {
	// ProgramRef names the LoyaltyProgram.
	ProgramRef LocalObjectReference `json:"programRef"`
	// Points to award.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	Points int64 `json:"points"`
	// Reason recorded in the ledger.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Reason string `json:"reason,omitempty"`
}

// ExitStep ends the journey.
type ExitStep struct {
	// If is a CEL condition; empty means always exit.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	If string `json:"if,omitempty"`
}

// FrequencyCap limits messages per customer.
type FrequencyCap struct {
	// Max messages in the period.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	Max int32 `json:"max"`
	// Per is the period, e.g. 7d.
	Per Duration `json:"per"`
}

// QuietHours is a nightly window without sends.
type QuietHours struct {
	// Start of quiet hours, e.g. "21:00".
	Start LocalTime `json:"start"`
	// End of quiet hours, e.g. "08:00".
	End LocalTime `json:"end"`
	// DefaultTimeZone for customers without one (IANA name, e.g. Europe/Berlin).
	// +optional
	// +kubebuilder:validation:MaxLength=64
	DefaultTimeZone string `json:"defaultTimeZone,omitempty"`
}

// Goal is the conversion a journey aims for.
// +kubebuilder:validation:XValidation:rule="has(self.event) != has(self.expression)",message="spec.goal must set exactly one of event or expression"
// +kubebuilder:validation:XValidation:rule="!has(self.minOrderAmount) || (has(self.event) && self.event == 'order_placed')",message="spec.goal.minOrderAmount applies to event order_placed only"
type Goal struct {
	// Event type that counts as a conversion (e.g. order_placed).
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Event string `json:"event,omitempty"`
	// Expression in CEL over customer and journey that counts as a conversion.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Expression string `json:"expression,omitempty"`
	// MinOrderAmount, with event order_placed, counts only orders of at least
	// this amount (in the DataSource's currency), e.g. "50".
	// +optional
	MinOrderAmount Decimal `json:"minOrderAmount,omitempty"`
	// Window after enrolment in which a conversion counts, e.g. 14d.
	Window Duration `json:"window"`
}

// Workers sizes the campaign worker.
type Workers struct {
	// Replicas of the campaign worker (default 1); customers are split between them.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=20
	Replicas *int32 `json:"replicas,omitempty"`
	// Resources of the worker container.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`
}

// Conversions counts goal reaches in each arm.
type Conversions struct {
	// Treatment members that converted.
	Treatment int64 `json:"treatment"`
	// TreatmentEnrolled is the size of the treatment arm, in journeys.
	TreatmentEnrolled int64 `json:"treatmentEnrolled"`
	// Holdout members that converted.
	Holdout int64 `json:"holdout"`
	// HoldoutEnrolled is the size of the holdout arm, in journeys (never
	// messaged: their send steps count in suppressed.holdout).
	HoldoutEnrolled int64 `json:"holdoutEnrolled"`
}

// PlaybookStatus holds aggregates only.
type PlaybookStatus struct {
	CommonStatus `json:",inline"`
	// Replicas the campaign worker should run now (0 while suspended).
	// +optional
	Replicas int32 `json:"replicas,omitempty"`
	// Suspended is true while spec.suspend holds the worker at zero (always
	// present, so printer columns and health checks read true or false).
	// +optional
	Suspended bool `json:"suspended"`
	// Enrolled customers, ever.
	// +optional
	Enrolled int64 `json:"enrolled,omitempty"`
	// Active journeys now.
	// +optional
	Active int64 `json:"active,omitempty"`
	// Completed journeys.
	// +optional
	Completed int64 `json:"completed,omitempty"`
	// Exited journeys (exit step or goal).
	// +optional
	Exited int64 `json:"exited,omitempty"`
	// Messages counts send steps that reached an outcome; each is exactly one
	// of sent, failed, pending, dryRunMessages or a suppressed reason, so
	// messages = sent + failed + pending + dryRunMessages + sum(suppressed).
	// +optional
	Messages int64 `json:"messages,omitempty"`
	// Sent messages.
	// +optional
	Sent int64 `json:"sent,omitempty"`
	// Failed messages (permanent failures).
	// +optional
	Failed int64 `json:"failed,omitempty"`
	// Pending messages are recorded in the delivery ledger and not yet
	// confirmed: in flight, or being retried with the same idempotency key.
	// +optional
	Pending int64 `json:"pending,omitempty"`
	// DryRunMessages would have been sent had spec.dryRun been false.
	// +optional
	DryRunMessages int64 `json:"dryRunMessages,omitempty"`
	// Suppressed counts messages not sent, by reason (holdout, consent,
	// frequencyCap, noRecipient, templateError, bounced, complained, ...).
	// It counts messages, not
	// customers: holdout is every send step a holdout journey reached (10
	// holdout journeys through 2 send steps make 20), so it can exceed
	// conversions.holdoutEnrolled and the sum can exceed enrolled.
	// +optional
	Suppressed map[string]int64 `json:"suppressed,omitempty"`
	// Deferred counts sends postponed by quiet hours; each deferred send later
	// reaches one of the outcomes above, so deferrals are not in messages.
	// +optional
	Deferred int64 `json:"deferred,omitempty"`
	// ConditionErrors counts branch or exit conditions that failed to
	// evaluate (the journey exited); the worker's log names the step.
	// +optional
	ConditionErrors int64 `json:"conditionErrors,omitempty"`
	// Conversions in treatment and holdout.
	// +optional
	Conversions *Conversions `json:"conversions,omitempty"`
	// Lift is the treatment minus holdout conversion rate, in percentage points.
	// +optional
	Lift string `json:"lift,omitempty"`
	// LiftInterval is the 95% confidence interval of Lift, "[low, high]".
	// +optional
	LiftInterval string `json:"liftInterval,omitempty"`
	// Variants are the send steps' variant figures (A/B/n tests).
	// +optional
	// +listType=atomic
	Variants []VariantStatus `json:"variants,omitempty"`
	// VariantWinners are the steps that now send one variant to everyone,
	// promoted or pinned.
	// +optional
	// +listType=atomic
	VariantWinners []VariantWinner `json:"variantWinners,omitempty"`
	// Broadcast is where a broadcast trigger stands (unset for other triggers).
	// +optional
	Broadcast *BroadcastStatus `json:"broadcast,omitempty"`
	// LastReportTime is when the worker last reported figures.
	// +optional
	LastReportTime *metav1.Time `json:"lastReportTime,omitempty"`
}

// BroadcastStatus reports a broadcast trigger.
type BroadcastStatus struct {
	// State: Scheduled (before spec.trigger.broadcast.at), Sending (members
	// enrolled, some journeys or messages outstanding, e.g. waiting for
	// their local time or the end of quiet hours), Sent (every journey
	// finished), Missed (the worker first ran after at + startingDeadline;
	// nothing was sent to those members).
	// +kubebuilder:validation:Enum=Scheduled;Sending;Sent;Missed
	State string `json:"state"`
	// StartedAt is when the members were enrolled.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 54",message="metadata.name must be at most 54 characters: its Deployment <name>-campaign is a label value of at most 63 characters"
// +kubebuilder:resource:shortName=pb,categories=retention
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Suspended",type=boolean,JSONPath=`.status.suspended`
// +kubebuilder:printcolumn:name="Segment",type=string,JSONPath=`.spec.segmentRef.name`
// +kubebuilder:printcolumn:name="Enrolled",type=integer,JSONPath=`.status.enrolled`
// +kubebuilder:printcolumn:name="Sent",type=integer,JSONPath=`.status.sent`
// +kubebuilder:printcolumn:name="Lift",type=string,JSONPath=`.status.lift`
// +kubebuilder:printcolumn:name="Broadcast",type=string,JSONPath=`.status.broadcast.state`,priority=1
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Playbook is an outreach journey for a segment: a trigger, steps, frequency
// caps, quiet hours, consent, a holdout group and a conversion goal. Its
// campaign worker runs it; suspend stops it.
type Playbook struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   PlaybookSpec   `json:"spec"`
	Status PlaybookStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// PlaybookList is a list of Playbooks.
type PlaybookList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Playbook `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Playbook{}, &PlaybookList{})
}
