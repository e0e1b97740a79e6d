package campaign

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/journey"
)

func featureQuery(now time.Time) datasource.FeatureQuery { return datasource.FeatureQuery{AsOf: now} }

// cursorName is per shard: each replica keeps its own position.
func (w *worker) cursorName(name string) string {
	return name + "/" + strconv.Itoa(w.o.Shard) + "/" + strconv.Itoa(w.o.Shards)
}

// members returns the segment members among feats.
func (w *worker) members(ctx context.Context, feats map[string]*customer.Features) (map[string]bool, error) {
	out := map[string]bool{}
	switch {
	case w.o.InSegment != nil:
		for id, f := range feats {
			if w.o.InSegment(f) {
				out[id] = true
			}
		}
	case w.pb.SegmentRef != "":
		stored, err := w.db.SegmentMembers(ctx, w.pb.SegmentRef)
		if err != nil {
			return nil, err
		}
		for id := range feats {
			if stored[id] {
				out[id] = true
			}
		}
	default:
		for id := range feats {
			out[id] = true
		}
	}
	return out, nil
}

// observation is what the triggers found this tick: customers to enrol,
// trigger values to remember, cursors to advance after the enrolments commit.
type observation struct {
	candidates []string
	seen       map[string]journey.Seen
	// seenIfEnrolled are trigger values remembered only for candidates the
	// re-entry policy let in (points_expiring: the expiry a reminder was for).
	seenIfEnrolled map[string]journey.Seen
	cursors        map[string]string
	// events is the event that made each candidate one (event triggers):
	// the latest, so a journey sees the newest cart.
	events map[string]customer.Event
}

// observe evaluates the playbook's trigger at now.
func (w *worker) observe(ctx context.Context, now time.Time, feats map[string]*customer.Features,
	members map[string]bool, events []customer.Event) (*observation, error) {
	t := w.pb.Trigger
	ob := &observation{seen: map[string]journey.Seen{}, seenIfEnrolled: map[string]journey.Seen{}, cursors: map[string]string{},
		events: map[string]customer.Event{}}
	add := func(id string) { ob.candidates = append(ob.candidates, id) }
	switch {
	case t.SegmentEntry:
		prev := map[string]bool{}
		for id, v := range w.seen {
			prev[id] = v == journey.SeenInSegment
		}
		skip, err := w.skipInitialMembers(ctx, ob)
		if err != nil {
			return nil, err
		}
		if skip {
			// First sight of the membership with initialMembers: Skip: the
			// current members count as seen, only later entrants enrol.
			prev = members
		}
		for _, id := range journey.SegmentEntered(prev, members) {
			add(id)
		}
		for id := range members {
			if w.seen[id] != journey.SeenInSegment {
				ob.seen[id] = journey.SeenInSegment
			}
		}
		for id, v := range w.seen {
			if v == journey.SeenInSegment && !members[id] {
				ob.seen[id] = journey.SeenOutside
			}
		}
		if w.o.Segment == nil {
			// Without a snapshot the feature rows are the whole shard: record
			// non-members too, as before.
			for id := range feats {
				if !members[id] && w.seen[id] == "" {
					ob.seen[id] = journey.SeenOutside
				}
			}
		}
	case t.Broadcast != nil:
		if err := w.observeBroadcast(ctx, now, members, ob); err != nil {
			return nil, err
		}
	case t.Schedule != "":
		name := w.cursorName("schedule")
		last, err := w.db.JourneyCursor(ctx, w.pb.Name, name)
		if err != nil {
			return nil, err
		}
		if last == "" {
			// First start: the schedule begins now; no firing is back-filled.
			ob.cursors[name] = now.UTC().Format(time.RFC3339Nano)
			break
		}
		lastAt, _ := time.Parse(time.RFC3339Nano, last)
		if next := w.sched.Next(lastAt); !next.After(now) {
			for id := range members {
				add(id)
			}
			ob.cursors[name] = now.UTC().Format(time.RFC3339Nano)
		}
	case t.Event != nil && t.Event.ProgramRef != "":
		if err := w.pointsExpiring(ctx, members, ob); err != nil {
			// The loyalty API may be restarting: the list is read whole
			// every tick, so the next tick sees the same members.
			w.o.Logger.Warn("reading expiring loyalty points failed; retrying next tick", "playbook", w.pb.Name, "err", err)
		}
	case t.Event != nil:
		w.eventCandidates(events, feats, members, ob)
	case t.Inactivity != nil:
		for id := range members {
			if journey.InactivityFires(t.Inactivity, feats[id], now) {
				add(id)
			}
		}
	case t.Anniversary != nil:
		for id := range members {
			f := feats[id]
			zone := journey.ResolveZone(f.TimeZone, w.defaultZone())
			if ok, _ := journey.AnniversaryFires(t.Anniversary, f, now, zone); ok {
				add(id)
			}
		}
	case t.TierChange != nil && w.o.TierChanges != nil:
		changed, cursor, err := w.tierChanges(ctx)
		if err != nil {
			// The loyalty API may be restarting: try again next tick from
			// the same cursor; nothing is lost.
			w.o.Logger.Warn("reading loyalty tier changes failed; retrying next tick", "playbook", w.pb.Name, "err", err)
			break
		}
		for _, id := range changed {
			if members[id] {
				add(id)
			}
		}
		ob.cursors[w.cursorName("tierChanges")] = cursor
	case t.TierChange != nil:
		for id, f := range feats {
			if members[id] && journey.TierChanged(t.TierChange, w.seen[id].Tier(), f.LoyaltyTier) {
				add(id)
			}
			if tier := journey.SeenTier(f.LoyaltyTier); w.seen[id] != tier {
				ob.seen[id] = tier
			}
		}
	}
	sort.Strings(ob.candidates)
	return ob, nil
}

// eventCandidates adds the members with an event that fires the trigger
// (its type and where filter), once each, remembering the latest such
// event. A filter that cannot be evaluated for an event (a property it
// reads is missing) does not fire; the log gives the playbook and a count
// only: CEL's error text can quote a value (int("x")), which is customer data.
func (w *worker) eventCandidates(events []customer.Event, feats map[string]*customer.Features,
	members map[string]bool, ob *observation) {
	failed := 0
	for _, ev := range events {
		if !members[ev.CustomerID] {
			continue
		}
		ok, err := w.pb.EventFires(ev, feats[ev.CustomerID])
		if err != nil {
			failed++
		}
		if !ok {
			continue
		}
		prev, had := ob.events[ev.CustomerID]
		if !had {
			ob.candidates = append(ob.candidates, ev.CustomerID)
		}
		if !had || !ev.OccurredAt.Before(prev.OccurredAt) {
			ob.events[ev.CustomerID] = ev
		}
	}
	if failed > 0 {
		w.o.Logger.Debug("trigger.event.where could not be evaluated for some events; they did not enrol",
			"playbook", w.pb.Name, "events", failed)
	}
}

func (w *worker) defaultZone() string {
	if q := w.pb.QuietHours; q != nil {
		return q.DefaultTimeZone
	}
	return ""
}

// skipInitialMembers reports whether this tick is the shard's first sight of
// the metric job's membership under initialMembers: Skip. The snapshot's run
// time is kept as a cursor, so "first" survives restarts.
func (w *worker) skipInitialMembers(ctx context.Context, ob *observation) (bool, error) {
	if w.o.Segment == nil || w.snap.members == nil {
		return false, nil
	}
	name := w.cursorName("segmentSnapshot")
	last, err := w.db.JourneyCursor(ctx, w.pb.Name, name)
	if err != nil {
		return false, err
	}
	ob.cursors[name] = w.snap.at.UTC().Format(time.RFC3339Nano)
	return last == "" && w.o.InitialMembers == InitialMembersSkip, nil
}
