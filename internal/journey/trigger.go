package journey

import (
	"sort"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// SegmentEntered lists the customers in curr that were not in prev (sorted),
// i.e. who joined the segment between two membership snapshots.
func SegmentEntered(prev, curr map[string]bool) []string {
	var out []string
	for id := range curr {
		if !prev[id] {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// EventFires reports whether ev triggers an event playbook (type only; see
// Playbook.EventFires for the where filter).
func EventFires(t *EventTrigger, ev customer.Event) bool {
	return t != nil && ev.Type == t.Type
}

// EventFires reports whether ev enrols the customer f: the trigger's type
// and, when set, its where filter. A filter that fails to evaluate (a
// property missing from this event) does not fire; the error is returned
// so the worker can count it (it names the expression and the key, never a
// value).
func (p *Playbook) EventFires(ev customer.Event, f *customer.Features) (bool, error) {
	if !EventFires(p.Trigger.Event, ev) {
		return false, nil
	}
	if p.where == nil {
		return true, nil
	}
	if f == nil {
		f = &customer.Features{ID: ev.CustomerID}
	}
	return p.where.EvalEvent(f, NewTriggerEvent(ev))
}

// LastActivity is the last order, or sign-up when the customer never ordered.
func LastActivity(f *customer.Features) time.Time {
	if !f.LastOrderAt.IsZero() {
		return f.LastOrderAt
	}
	return f.CreatedAt
}

// InactivityFires reports whether the customer has been inactive (no order)
// for at least t.Duration at now. Customers with no known activity never fire.
func InactivityFires(t *InactivityTrigger, f *customer.Features, now time.Time) bool {
	last := LastActivity(f)
	return t != nil && !last.IsZero() && now.Sub(last) >= t.Duration
}

// AnniversaryFires reports whether now (in loc, the customer's zone) is a
// yearly anniversary of the first order or sign-up, not the day itself. A 29
// February date is celebrated on 28 February in non-leap years.
// It returns the anniversary year so enrolments can be keyed by it.
func AnniversaryFires(t *AnniversaryTrigger, f *customer.Features, now time.Time, loc *time.Location) (bool, int) {
	if t == nil {
		return false, 0
	}
	anchor := f.CreatedAt
	if t.Of == AnniversaryFirstOrder {
		anchor = f.FirstOrderAt
	}
	if anchor.IsZero() {
		return false, 0
	}
	a, n := anchor.In(loc), now.In(loc)
	if n.Year() <= a.Year() {
		return false, 0
	}
	month, day := a.Month(), a.Day()
	if month == time.February && day == 29 && !isLeap(n.Year()) {
		day = 28
	}
	return n.Month() == month && n.Day() == day, n.Year()
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// TierChanged reports whether the loyalty tier moved from prev to curr == t.To.
// An empty prev (never seen) does not count as a change, so a worker's first
// look at a customer does not enrol everybody already in the tier.
func TierChanged(t *TierChangeTrigger, prev, curr string) bool {
	return t != nil && prev != "" && prev != curr && curr == t.To
}

// CanEnter applies the re-entry policy: a customer with no previous journey
// may enter; one with an active journey may not; after a finished journey,
// re-entry needs Reentry.After > 0 and that much time since it finished.
func CanEnter(r Reentry, prev *State, now time.Time) bool {
	switch {
	case prev == nil:
		return true
	case !prev.Done():
		return false
	case r.After <= 0:
		return false
	}
	return !now.Before(prev.FinishedAt.Add(r.After))
}
