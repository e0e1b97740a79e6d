package campaign

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/journey"
)

// A broadcast enrols each shard's segment members once. What a shard did is
// kept as a cursor, "broadcast/<shard>/<shards>" = "<state> <time>", written
// after the enrolments committed (tick), so it survives restarts and is the
// same for every replica. A crash between the two re-observes: the members
// already enrolled are refused by CanEnter (a broadcast has no re-entry), the
// others are enrolled, and nobody is enrolled twice.
const broadcastCursor = "broadcast"

// broadcastEnrolled is the cursor state of a shard that enrolled its members;
// the other state written is journey.BroadcastMissed.
const broadcastEnrolled = "Enrolled"

// observeBroadcast adds the shard's members as candidates the first time a
// tick falls inside the broadcast's window, or records that the window was
// missed. Before At, and until the metric job's membership is there, it
// waits.
func (w *worker) observeBroadcast(ctx context.Context, now time.Time, members map[string]bool, ob *observation) error {
	b := w.pb.Trigger.Broadcast
	name := w.cursorName(broadcastCursor)
	done, err := w.db.JourneyCursor(ctx, w.pb.Name, name)
	if err != nil || done != "" {
		return err
	}
	switch journey.BroadcastWindow(b, now) {
	case journey.BroadcastScheduled:
		return nil
	case journey.BroadcastMissed:
		w.o.Logger.Warn("broadcast missed: this shard first ran after at + startingDeadline; nothing is sent to its members",
			"playbook", w.pb.Name, "shard", w.o.Shard, "at", b.At.UTC().Format(time.RFC3339), "startingDeadline", b.Deadline())
		ob.cursors[name] = string(journey.BroadcastMissed) + " " + now.UTC().Format(time.RFC3339Nano)
		return nil
	}
	if w.o.Segment != nil && w.snap.members == nil {
		// No membership yet (the metric job has not run): enrolling now would
		// enrol nobody and mark the broadcast done.
		return nil
	}
	for id := range members {
		ob.candidates = append(ob.candidates, id)
	}
	ob.cursors[name] = broadcastEnrolled + " " + now.UTC().Format(time.RFC3339Nano)
	w.o.Logger.Info("broadcast started", "playbook", w.pb.Name, "shard", w.o.Shard, "members", len(members))
	return nil
}

// pollWait is the pause before the next tick: the poll interval, or less
// when a broadcast starts sooner, so it starts on time and not up to a poll
// late.
func (w *worker) pollWait(now time.Time) time.Duration {
	wait := w.o.PollInterval
	if b := w.pb.Trigger.Broadcast; b != nil && now.Before(b.At) && b.At.Sub(now) < wait {
		wait = b.At.Sub(now)
	}
	return wait
}

// BroadcastSummary is where a broadcast stands across all shards.
type BroadcastSummary struct {
	At    time.Time              `json:"at"`
	State journey.BroadcastState `json:"state"`
	// StartedAt is when the first shard enrolled its members (zero before).
	StartedAt time.Time `json:"startedAt,omitzero"`
}

// broadcastSummary reads every shard's broadcast cursor. Missed wins (some
// members were never sent to); Sent needs every shard enrolled and nothing
// active or pending.
func (w *worker) broadcastSummary(ctx context.Context, s *Summary) (*BroadcastSummary, error) {
	b := w.pb.Trigger.Broadcast
	out := &BroadcastSummary{At: b.At.UTC(), State: journey.BroadcastScheduled}
	cursors, err := w.db.JourneyCursorsByPrefix(ctx, w.pb.Name, broadcastCursor+"/")
	if err != nil {
		return nil, err
	}
	shards := w.shardCount()
	enrolled, missed := 0, 0
	for name, v := range cursors {
		if !strings.HasSuffix(name, "/"+strconv.Itoa(shards)) {
			continue // written under another replica count
		}
		state, at, _ := strings.Cut(v, " ")
		switch state {
		case string(journey.BroadcastMissed):
			missed++
		case broadcastEnrolled:
			enrolled++
			if t, err := time.Parse(time.RFC3339Nano, at); err == nil && (out.StartedAt.IsZero() || t.Before(out.StartedAt)) {
				out.StartedAt = t.UTC()
			}
		}
	}
	switch {
	case missed > 0:
		out.State = journey.BroadcastMissed
	case enrolled == shards && s.Active == 0 && s.Pending == 0:
		out.State = journey.BroadcastSent
	case enrolled > 0 || !s.At.Before(b.At):
		out.State = journey.BroadcastSending
	}
	return out, nil
}

// shardCount is how many shards the playbook's customers are cut into.
func (w *worker) shardCount() int {
	if w.o.Leases != nil {
		return max(w.o.Leases.Shards, 1)
	}
	return max(w.o.Shards, 1)
}
