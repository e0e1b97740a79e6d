package journey

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// Reason says why a step did not send (or was deferred); summaries count them.
type Reason string

const (
	ReasonConsent      Reason = "consent"
	ReasonFrequencyCap Reason = "frequencyCap"
	ReasonHoldout      Reason = "holdout"
	ReasonQuietHours   Reason = "quietHoursDeferred"
	ReasonNoRecipient  Reason = "noRecipient"
	ReasonTemplate     Reason = "templateError"
	ReasonCEL          Reason = "celError"
	ReasonLoop         Reason = "stepLoop"
)

// EffectKind classifies what Advance asks the worker to do.
type EffectKind int

const (
	// EffectSend: record the message in the ledger, then send it.
	EffectSend EffectKind = iota
	// EffectAward: credit loyalty points (idempotent by Key).
	EffectAward
	// EffectSuppress: a send or award step was skipped for Reason.
	EffectSuppress
	// EffectDefer: a send waits for the end of quiet hours (Until).
	EffectDefer
)

// Message is a rendered message, field for field what channel.Message carries.
type Message struct {
	IdempotencyKey string
	To             string
	Subject        string
	Body           string
	HTML           string
	Metadata       map[string]string
}

// Withheld says what a suppressed effect did not do, so that each figure
// counts one thing: status.suppressed counts messages only, and
// messages = sent + failed + pending + dry-run + sum(suppressed).
type Withheld int

const (
	// WithheldMessage: a send step did not send (the zero value: most
	// suppressions are of messages).
	WithheldMessage Withheld = iota
	// WithheldPoints: an awardPoints step of a holdout journey credited nothing.
	WithheldPoints
	// WithheldNothing: a branch or exit condition failed to evaluate and the
	// journey exited; no message or award was due.
	WithheldNothing
)

// Effect is one thing Advance decided.
type Effect struct {
	Kind        EffectKind
	Step        string
	Reason      Reason
	Withheld    Withheld // for EffectSuppress
	Channel     string
	ChannelKind ChannelKind
	Message     Message
	Key         string
	Program     string
	Points      int64
	Until       time.Time
	// Variant is the send step's variant this message is ("" without variants).
	Variant string
}

// Input is what Advance needs besides the state.
type Input struct {
	Now      time.Time
	Customer *customer.Features
	// SentInWindow is how many messages the customer received from all
	// playbooks of the namespace in the frequency-cap window before this call.
	SentInWindow int
	// Winners are the promoted variants (step name -> variant) the store
	// holds; new sends of those steps use them.
	Winners map[string]string
}

// IdempotencyKey is deterministic for (playbook, customer, enrolment, step):
// the hex SHA-256 of those four joined by NUL, cut to 32 characters. It holds
// no customer data in clear and is the same on every retry and replica.
func IdempotencyKey(playbook, customerID string, enrolment int, step string) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%d\x00%s", playbook, customerID, enrolment, step)))
	return hex.EncodeToString(sum[:16])
}

// Enrol starts a new journey for customerID at now (prev is the previous
// journey or nil; the caller has checked CanEnter).
func (p *Playbook) Enrol(customerID string, prev *State, now time.Time) State {
	n := 1
	if prev != nil {
		n = prev.Enrolment + 1
	}
	st := State{CustomerID: customerID, Enrolment: n, Status: Active,
		Holdout: InHoldout(p.Name, customerID, p.HoldoutPercent), EnteredAt: now, DueAt: now}
	if len(p.Steps) > 0 {
		st.StepName = p.Steps[0].Name
	}
	return st
}

// Advance runs the journey from its current step until it must wait (a wait
// step, quiet hours) or ends. It returns the new state and the effects to
// apply; the worker commits both together, so a step is never applied twice.
// Steps that are not due yet are left untouched.
func (p *Playbook) Advance(st State, in Input) (State, []Effect) {
	var effects []Effect
	if st.Done() || in.Now.Before(st.DueAt) {
		return st, nil
	}
	sent := in.SentInWindow
	loc := p.zone(in.Customer)
	for guard := 0; ; guard++ {
		if st.Step >= len(p.Steps) {
			p.finish(&st, Completed, in.Now)
			return st, effects
		}
		if guard > 4*len(p.Steps)+8 {
			// A branch cycle with no wait in it: stop rather than spin.
			effects = append(effects, Effect{Kind: EffectSuppress, Step: st.StepName, Reason: ReasonLoop,
				Withheld: WithheldNothing})
			p.finish(&st, Exited, in.Now)
			return st, effects
		}
		step := p.Steps[st.Step]
		st.StepName = step.Name
		switch {
		case step.Wait != nil:
			if !st.Waiting {
				st.Waiting = true
				if step.Wait.LocalTime != "" {
					st.DueAt = NextLocalTime(in.Now, p.waitAt[st.Step], loc)
				} else {
					st.DueAt = in.Now.Add(step.Wait.Duration)
				}
			}
			if in.Now.Before(st.DueAt) {
				return st, effects
			}
			st.Waiting = false
			p.next(&st)
		case step.WaitFor != nil:
			// The awaited event is matched by the worker between calls
			// (EventArrived); reaching the timeout here means it did not come.
			if !st.Waiting {
				startWaitFor(&st, step.WaitFor, in.Now)
			}
			if in.Now.Before(st.DueAt) {
				return st, effects
			}
			st.Waiting = false
			p.jump(&st, step.WaitFor.Else)
		case step.Send != nil:
			eff, deferred := p.send(&st, step, in, loc, sent)
			effects = append(effects, eff)
			if deferred {
				return st, effects
			}
			if eff.Kind == EffectSend {
				sent++
				st.Sends++
			}
			p.next(&st)
		case step.AwardPoints != nil:
			if st.Holdout {
				effects = append(effects, Effect{Kind: EffectSuppress, Step: step.Name, Reason: ReasonHoldout,
					Withheld: WithheldPoints})
			} else {
				effects = append(effects, Effect{Kind: EffectAward, Step: step.Name, Program: step.AwardPoints.ProgramRef,
					Points: step.AwardPoints.Points, Key: IdempotencyKey(p.Name, st.CustomerID, st.Enrolment, step.Name)})
			}
			p.next(&st)
		case step.Branch != nil:
			ok, err := p.conds[st.Step].Eval(in.Customer, &st, in.Now)
			if err != nil {
				effects = append(effects, Effect{Kind: EffectSuppress, Step: step.Name, Reason: ReasonCEL,
					Withheld: WithheldNothing})
				p.finish(&st, Exited, in.Now)
				return st, effects
			}
			target := step.Branch.Else
			if ok {
				target = step.Branch.Then
			}
			p.jump(&st, target)
		case step.Exit != nil:
			leave := true
			if c := p.conds[st.Step]; c != nil {
				var err error
				if leave, err = c.Eval(in.Customer, &st, in.Now); err != nil {
					effects = append(effects, Effect{Kind: EffectSuppress, Step: step.Name, Reason: ReasonCEL,
						Withheld: WithheldNothing})
				}
			}
			if leave {
				p.finish(&st, Exited, in.Now)
				return st, effects
			}
			p.next(&st)
		}
	}
}

// send decides one send step. Order matters: holdout first (the control group
// is never messaged, not even later), then consent (checked now, at send
// time, on the freshest row), then quiet hours (defer, never drop), then the
// frequency cap (counted at the moment of sending, after any deferral).
func (p *Playbook) send(st *State, step Step, in Input, loc *time.Location, sent int) (Effect, bool) {
	if st.Holdout {
		return Effect{Kind: EffectSuppress, Step: step.Name, Channel: step.Send.ChannelRef,
			ChannelKind: p.channels[step.Send.ChannelRef], Reason: ReasonHoldout}, false
	}
	// The variant is chosen after the holdout check, so a holdout customer is
	// never assigned one, and before consent, since a variant may change the
	// channel and so the consent that applies.
	vi, variant := p.chooseVariant(step, st.CustomerID, in.Winners)
	channelRef, renderer := step.Send.ChannelRef, p.renderers[st.Step]
	if vi >= 0 {
		renderer = p.variantRenderers[st.Step][vi]
		if c := step.Send.Variants[vi].ChannelRef; c != "" {
			channelRef = c
		}
	}
	kind := p.channels[channelRef]
	base := Effect{Step: step.Name, Channel: channelRef, ChannelKind: kind, Variant: variant}
	suppress := func(r Reason) (Effect, bool) {
		base.Kind, base.Reason = EffectSuppress, r
		return base, false
	}
	if !HasConsent(kind, in.Customer) {
		return suppress(ReasonConsent)
	}
	if until := p.quiet.Defer(in.Now, loc); until.After(in.Now) {
		st.DueAt = until
		base.Kind, base.Reason, base.Until = EffectDefer, ReasonQuietHours, until
		return base, true
	}
	if !CapAllows(p.FrequencyCap, sent) {
		return suppress(ReasonFrequencyCap)
	}
	to, err := Recipient(kind, in.Customer)
	if err != nil {
		return suppress(ReasonNoRecipient)
	}
	// Links follow the channel actually used (a variant may change it).
	subject, body, html, err := renderer.RenderFor(in.Customer, st.Event, p.links(channelRef, step.Send.Topic, st.CustomerID))
	if err != nil {
		return suppress(ReasonTemplate)
	}
	key := IdempotencyKey(p.Name, st.CustomerID, st.Enrolment, step.Name)
	base.Kind, base.Key = EffectSend, key
	base.Message = Message{IdempotencyKey: key, To: to, Subject: subject, Body: body, HTML: html,
		Metadata: map[string]string{"playbook": p.Name, "step": step.Name}}
	if variant != "" {
		base.Message.Metadata["variant"] = variant
	}
	return base, false
}

func (p *Playbook) next(st *State) {
	st.Step++
	if st.Step < len(p.Steps) {
		st.StepName = p.Steps[st.Step].Name
	}
}

func (p *Playbook) finish(st *State, s Status, now time.Time) {
	st.Status, st.FinishedAt, st.Waiting = s, now, false
}

// zone is the customer's time zone, else the quiet-hours default, else UTC.
func (p *Playbook) zone(f *customer.Features) *time.Location {
	def := ""
	if p.QuietHours != nil {
		def = p.QuietHours.DefaultTimeZone
	}
	return ResolveZone(f.TimeZone, def)
}

// GoalWindowOpen reports whether a conversion at t still counts for st:
// EnteredAt <= t <= EnteredAt + Goal.Window.
func (p *Playbook) GoalWindowOpen(st *State, t time.Time) bool {
	return p.Goal != nil && !t.Before(st.EnteredAt) && !t.After(st.EnteredAt.Add(p.Goal.Window))
}

// GoalEvent reports whether ev converts st.
func (p *Playbook) GoalEvent(st *State, ev customer.Event) bool {
	return p.Goal != nil && p.Goal.EventType != "" && !st.Converted && ev.Type == p.Goal.EventType &&
		p.GoalWindowOpen(st, ev.OccurredAt)
}

// GoalMet reports whether the CEL goal holds for the customer at now.
func (p *Playbook) GoalMet(st *State, f *customer.Features, now time.Time) bool {
	if p.goal == nil || st.Converted || !p.GoalWindowOpen(st, now) {
		return false
	}
	ok, err := p.goal.Eval(f, st, now)
	return err == nil && ok
}

// Convert marks st converted at t; an active journey exits (its goal is met,
// further messages would be noise).
func (p *Playbook) Convert(st *State, t time.Time) {
	st.Converted, st.ConvertedAt = true, t
	if !st.Done() {
		p.finish(st, Exited, t)
	}
}
