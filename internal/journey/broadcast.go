package journey

import (
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// BroadcastTrigger is a one-off send: every member of the segment at At is
// enrolled once. The journey then runs like any other (consent, caps, quiet
// hours, holdout and goal all apply).
type BroadcastTrigger struct {
	// At is when the broadcast starts: nobody is enrolled before it.
	At time.Time
	// LocalTime ("10:00"), when set, holds each member's journey until the
	// first time the wall clock in the member's own time zone reads it, at or
	// after enrolment; "" sends to everyone at At.
	LocalTime string
	// StartingDeadline is how late after At the broadcast may still start
	// (a worker that was down, a Playbook applied after At); past it the
	// broadcast is missed and nothing is sent. 0 means
	// DefaultBroadcastStartingDeadline.
	StartingDeadline time.Duration
}

// DefaultBroadcastStartingDeadline is how late a broadcast may start when
// its spec says nothing: a day, so a worker restarted within the day still
// sends, and a seasonal message applied weeks after its date never goes out.
const DefaultBroadcastStartingDeadline = 24 * time.Hour

// Deadline is the starting deadline in force.
func (b *BroadcastTrigger) Deadline() time.Duration {
	if b.StartingDeadline > 0 {
		return b.StartingDeadline
	}
	return DefaultBroadcastStartingDeadline
}

// BroadcastState is where a broadcast stands; the worker reports it and the
// Playbook's status.broadcast.state shows it.
type BroadcastState string

const (
	// BroadcastScheduled: At has not come yet; nobody is enrolled.
	BroadcastScheduled BroadcastState = "Scheduled"
	// BroadcastSending: members are enrolled and some journeys are still
	// active (waiting for their local time, quiet hours, a wait step) or
	// messages are pending.
	BroadcastSending BroadcastState = "Sending"
	// BroadcastSent: every shard enrolled its members and every journey has
	// finished.
	BroadcastSent BroadcastState = "Sent"
	// BroadcastMissed: a shard's worker first ran after At +
	// StartingDeadline, so its members were not enrolled and nothing was
	// sent to them.
	BroadcastMissed BroadcastState = "Missed"
)

// BroadcastWindow says what a worker may do about b at now: wait (before
// At), start (enrol the members), or give up (after the deadline).
func BroadcastWindow(b *BroadcastTrigger, now time.Time) BroadcastState {
	switch {
	case now.Before(b.At):
		return BroadcastScheduled
	case now.After(b.At.Add(b.Deadline())):
		return BroadcastMissed
	}
	return BroadcastSending
}

// compileBroadcast checks the broadcast trigger and parses its local time.
func (p *Playbook) compileBroadcast(bad func(string, string, ...any)) {
	p.broadcastAt = -1
	b := p.Trigger.Broadcast
	if b == nil {
		return
	}
	if b.At.IsZero() {
		bad("trigger.broadcast.at", "must be set to an RFC 3339 time, e.g. 2026-12-01T09:00:00Z")
	}
	if b.LocalTime != "" {
		c, err := ParseClockTime(b.LocalTime)
		if err != nil {
			bad("trigger.broadcast.localTime", "%v", err)
		}
		p.broadcastAt = c
	}
	if b.StartingDeadline < 0 {
		bad("trigger.broadcast.startingDeadline", "must not be negative")
	}
	if p.Reentry.After > 0 {
		bad("reentry", "a broadcast enrols each member once; remove reentry or use a schedule trigger")
	}
}

// BroadcastDue is when a journey a broadcast enrolled at now is first due:
// now, or with a localTime the first instant at or after now whose wall
// clock in the customer's zone (else the quiet-hours default, else UTC)
// reads it.
func (p *Playbook) BroadcastDue(f *customer.Features, now time.Time) time.Time {
	if p.Trigger.Broadcast == nil || p.broadcastAt < 0 {
		return now
	}
	return NextLocalTime(now.Add(-time.Nanosecond), p.broadcastAt, p.zone(f))
}
