package journey

import (
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// MaxWaitForTimeout bounds a waitFor step's timeout: the worker keeps
// reading the awaited event type for as long as a journey may wait, and
// the triggering event's properties stay in the store as long.
const MaxWaitForTimeout = 90 * 24 * time.Hour

// compileWaitFor validates a waitFor step: an event type, a positive
// timeout no longer than MaxWaitForTimeout, and targets that name steps.
func (p *Playbook) compileWaitFor(at string, s Step, bad func(string, string, ...any)) {
	w := s.WaitFor
	if w.Event == "" {
		bad(at+".waitFor.event", "step %q: must not be empty", s.Name)
	}
	if w.Timeout <= 0 || w.Timeout > MaxWaitForTimeout {
		bad(at+".waitFor.timeout", "step %q: must be positive and at most %dd, got %s", s.Name, MaxWaitForTimeout/(24*time.Hour), w.Timeout)
	}
	for _, t := range []struct{ field, target string }{{"then", w.Then}, {"else", w.Else}} {
		if _, ok := p.index[t.target]; t.target != "" && !ok {
			bad(at+".waitFor."+t.field, "step %q: no step named %q", s.Name, t.target)
		}
	}
}

// startWaitFor starts the wait of the waitFor step at st.Step. The wait is
// measured from now, except in the tick that enrolled the journey on an
// event: then it runs from that event ("no order within 2 h of the cart
// update"), unless the event is already older than the timeout (a worker
// that was down), so a waitFor always waits and never loops within a tick.
func startWaitFor(st *State, w *WaitForStep, now time.Time) {
	from := now
	if e := st.Event; e != nil && now.Equal(st.EnteredAt) && !e.OccurredAt.After(now) && e.OccurredAt.Add(w.Timeout).After(now) {
		from = e.OccurredAt
	}
	st.Waiting, st.DueAt = true, from.Add(w.Timeout)
}

// WaitingFor returns the event type st waits for at a waitFor step, or "".
func (p *Playbook) WaitingFor(st *State) string {
	if st.Done() || !st.Waiting || st.Step >= len(p.Steps) || p.Steps[st.Step].WaitFor == nil {
		return ""
	}
	return p.Steps[st.Step].WaitFor.Event
}

// WaitForTypes lists the event types the playbook's waitFor steps await.
func (p *Playbook) WaitForTypes() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range p.Steps {
		if s.WaitFor != nil && !seen[s.WaitFor.Event] {
			seen[s.WaitFor.Event] = true
			out = append(out, s.WaitFor.Event)
		}
	}
	return out
}

// LongestWaitFor is the longest waitFor timeout (0 without waitFor steps):
// how far back a first read of the awaited events must look.
func (p *Playbook) LongestWaitFor() time.Duration {
	var d time.Duration
	for _, s := range p.Steps {
		if s.WaitFor != nil && s.WaitFor.Timeout > d {
			d = s.WaitFor.Timeout
		}
	}
	return d
}

// EventArrived resolves st's waitFor step with ev when ev is the awaited
// type and occurred inside the wait (from its start to its timeout,
// inclusive): the journey moves to the step's Then target (the next step
// when empty) and is due at once. It reports whether it did; the worker then
// advances the journey.
func (p *Playbook) EventArrived(st *State, ev customer.Event) bool {
	typ := p.WaitingFor(st)
	if typ == "" || ev.Type != typ || ev.CustomerID != st.CustomerID {
		return false
	}
	w := p.Steps[st.Step].WaitFor
	if ev.OccurredAt.Before(st.DueAt.Add(-w.Timeout)) || ev.OccurredAt.After(st.DueAt) {
		return false
	}
	st.Waiting = false
	if st.DueAt.After(ev.OccurredAt) {
		st.DueAt = ev.OccurredAt
	}
	p.jump(st, w.Then)
	return true
}

// jump moves st to the step named target, or to the next step when target
// is empty.
func (p *Playbook) jump(st *State, target string) {
	if target == "" {
		p.next(st)
		return
	}
	st.Step = p.index[target]
	st.StepName = target
}
