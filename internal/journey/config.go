// Package journey is the Playbook engine: a pure state machine that walks one
// customer's journey (one per playbook and customer) through its steps given a
// clock, plus the rules around it: triggers, re-entry, waits in the customer's
// time zone, quiet hours, frequency caps, consent at send time, holdout
// assignment, goal conversion and lift. It imports only the standard library,
// cel-go and internal/customer; the store and the worker persist and act on
// what it decides.
package journey

import "time"

// Config mirrors a Playbook spec in plain Go. The Playbook controller maps
// the custom resource into it (specmap.Playbook) and renders it, as JSON, into
// the campaign worker's spec (contract.Playbook); tests build it directly.
// It must survive that JSON round trip unchanged: exported fields of plain
// types only (specmap's round-trip test checks every sample).
type Config struct {
	// Name identifies the playbook (namespace/name is a good choice); it is part
	// of every idempotency key and of the holdout hash.
	Name string
	// Namespace scopes frequency caps: a cap counts sends of ALL playbooks in it.
	Namespace  string
	SegmentRef string
	Trigger    Trigger
	Reentry    Reentry
	Steps      []Step
	// FrequencyCap limits messages per customer across all playbooks of the
	// namespace; nil means no cap.
	FrequencyCap *FrequencyCap
	// QuietHours defers sends that fall inside the window; nil means none.
	QuietHours *QuietHours
	// HoldoutPercent (0-50) of enrolled customers are never messaged; they form
	// the control group for lift.
	HoldoutPercent float64
	Goal           *Goal
	// DryRun walks journeys and records what would be sent without sending.
	DryRun bool
	// Suspend stops enrolment and advancement; state is kept.
	Suspend bool
	// LedgerRetention is how long ledger rows keep address and bodies; 0
	// means DefaultLedgerRetention (see Retention).
	LedgerRetention time.Duration
}

// Trigger says when a customer enters the playbook. Exactly one field is set.
type Trigger struct {
	// SegmentEntry enrols customers when they join the segment.
	SegmentEntry bool
	// Schedule is a cron expression; at each firing every segment member is a
	// candidate (evaluated by the worker, which owns the cron parser).
	Schedule string
	// Event enrols a segment member when an event of this type arrives.
	Event *EventTrigger
	// Inactivity enrols a member whose last order is at least this long ago.
	Inactivity *InactivityTrigger
	// Anniversary enrols a member on the yearly anniversary (customer's local
	// date) of the first order or sign-up.
	Anniversary *AnniversaryTrigger
	// TierChange enrols a member whose loyalty tier changed to To.
	TierChange *TierChangeTrigger
	// Broadcast enrols every segment member once, at a given time (a
	// one-off send; broadcast.go).
	Broadcast *BroadcastTrigger
}

// EventTrigger fires on an event type.
type EventTrigger struct {
	Type string
	// ProgramRef, when set, names the LoyaltyProgram whose points_expiring
	// list supplies the events (read by the worker) instead of the
	// DataSource's events.
	ProgramRef string
	// Where, when set, is a CEL filter over the event and the customer
	// (event.properties.total > 100.0): only events it holds for enrol.
	Where string
}

// InactivityTrigger fires after Duration without an order.
type InactivityTrigger struct{ Duration time.Duration }

// AnniversaryOf names the date an anniversary counts from.
type AnniversaryOf string

const (
	AnniversaryFirstOrder AnniversaryOf = "firstOrder"
	AnniversarySignup     AnniversaryOf = "signup"
)

// AnniversaryTrigger fires on the anniversary of Of.
type AnniversaryTrigger struct{ Of AnniversaryOf }

// TierChangeTrigger fires when the loyalty tier in ProgramRef's ledger
// becomes To.
type TierChangeTrigger struct {
	ProgramRef string
	To         string
}

// Reentry says whether a customer may enter again after a journey ended.
// The zero value means once.
type Reentry struct {
	// After, when > 0, allows re-entry once this cool-down has passed since the
	// previous journey finished. Zero means a customer enters at most once.
	After time.Duration
}

// Step is one named step; exactly one of its action fields is set.
type Step struct {
	Name        string
	Send        *SendStep
	Wait        *WaitStep
	WaitFor     *WaitForStep
	Branch      *BranchStep
	AwardPoints *AwardPointsStep
	Exit        *ExitStep
}

// SendStep sends a rendered template through a Channel.
type SendStep struct {
	ChannelRef string
	// Topic is what the message is about (newsletter, offers, ...): a
	// customer who unsubscribed from it on the channel's kind is not sent it.
	Topic    string
	Template Template
	// Variants, when set, split the step's sends between alternative
	// messages (an A/B/n test); see variant.go.
	Variants []Variant
	// Pinned names the variant every new send uses, overriding assignment
	// and any promotion ("" = none).
	Pinned string
	// Promote, when set, lets the worker promote the winning variant once
	// every variant has its minimum sample.
	Promote *Promote
}

// Template is the message text. Subject and Body use text/template, HTML uses
// html/template; all see the customer fields listed in TemplateFields.
type Template struct {
	Subject string
	Body    string
	HTML    string
}

// WaitStep pauses either for Duration or until the next LocalTime ("09:00")
// in the customer's time zone. Exactly one is set.
type WaitStep struct {
	Duration  time.Duration
	LocalTime string
}

// WaitForStep waits up to Timeout for an event of type Event (an ingested
// or data-source event, or an order for order_placed) and jumps to Then when
// it arrives in time, else to Else. An empty target means "the next step".
type WaitForStep struct {
	Event   string
	Timeout time.Duration
	Then    string
	Else    string
}

// BranchStep jumps to Then when If (CEL) is true, else to Else. An empty
// target means "the next step".
type BranchStep struct {
	If   string
	Then string
	Else string
}

// AwardPointsStep credits loyalty points (the worker hands it to the loyalty
// ledger with an idempotency key).
type AwardPointsStep struct {
	ProgramRef string
	Points     int64
	// Reason is recorded with the ledger entry ("" lets the worker name the
	// playbook instead).
	Reason string
}

// ExitStep ends the journey when If (CEL) is true; an empty If always exits.
type ExitStep struct{ If string }

// FrequencyCap allows at most Max messages per customer in any window Per.
type FrequencyCap struct {
	Max int
	Per time.Duration
}

// QuietHours is a daily window, in the customer's local time, during which
// nothing is sent. Start "21:00" End "08:00" wraps midnight.
type QuietHours struct {
	Start           string
	End             string
	DefaultTimeZone string
}

// OrderPlacedGoal is the goal event type that converts from the data
// source's orders table: orders produce no rows in the events table, so a
// goal of order_placed reads orders (MinOrderAmount applies to it); any
// other goal event type reads events.
const OrderPlacedGoal = "order_placed"

// Goal is what counts as a conversion: an event of EventType, or a CEL
// expression over the customer (and journey) becoming true, within Window
// after enrolment.
type Goal struct {
	EventType string
	CEL       string
	Window    time.Duration
	// MinOrderAmount, for the order_placed goal, ignores smaller orders.
	MinOrderAmount float64
}
