package campaign

import (
	"sort"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
)

// arrivals are this tick's events that a waitFor step may await, by
// customer, oldest first: events (data source and ingested) of the awaited
// types, and every order as order_placed when a step awaits that. Events
// re-read in the overlap window are harmless: a wait resolves once, and a
// journey that has moved on awaits nothing.
func (w *worker) arrivals(evs *eventRead, orders *orderRead) map[string][]customer.Event {
	types := map[string]bool{}
	for _, t := range w.pb.WaitForTypes() {
		types[t] = true
	}
	out := map[string][]customer.Event{}
	if len(types) == 0 {
		return out
	}
	for _, ev := range evs.events {
		if types[ev.Type] {
			out[ev.CustomerID] = append(out[ev.CustomerID], ev)
		}
	}
	if types[journey.OrderPlacedGoal] {
		for _, ev := range orders.all {
			out[ev.CustomerID] = append(out[ev.CustomerID], ev)
		}
	}
	for _, list := range out {
		sort.SliceStable(list, func(i, j int) bool { return list[i].OccurredAt.Before(list[j].OccurredAt) })
	}
	return out
}

// resolveWait moves st past its waitFor step with the first of evs that
// arrived inside the wait; it reports whether one did.
func (w *worker) resolveWait(st *journey.State, evs []customer.Event) bool {
	if w.pb.WaitingFor(st) == "" {
		return false
	}
	for _, ev := range evs {
		if w.pb.EventArrived(st, ev) {
			return true
		}
	}
	return false
}

// sendsIn counts the messages among effs, for the frequency cap of a
// second Advance in the same tick.
func sendsIn(effs []journey.Effect) int {
	n := 0
	for _, e := range effs {
		if e.Kind == journey.EffectSend {
			n++
		}
	}
	return n
}
