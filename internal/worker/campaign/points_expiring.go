package campaign

import (
	"context"
	"fmt"

	"github.com/retention-dev/retention-operator/internal/journey"
)

// PointsExpiringEvent is the event type a LoyaltyProgram supplies
// (spec.trigger.event with programRef).
const PointsExpiringEvent = "points_expiring"

// pointsExpiring reads the program's expiring list (the whole list every
// tick: it holds only members inside the warning window, one request per
// shard per tick, and reading it whole needs no cursor that could skip a
// member) and adds this shard's segment members as candidates unless a
// journey already started for the same expiry date. The date is saved only
// for members actually enrolled, after their enrolment commits (tick), so:
//   - a member refused by the re-entry policy (journey active, cool-down)
//     is looked at again on later ticks while still in the window;
//   - a restart or another replica taking the shard over reads the saved
//     date and does not enrol again for that expiry, even when the
//     re-entry cool-down is shorter than the warning window;
//   - a crash between the enrolment and saving the date re-observes the
//     member, and CanEnter refuses (the journey is active or cooling down).
//
// Consent, holdout and frequency caps apply at the steps, as for any event.
func (w *worker) pointsExpiring(ctx context.Context, members map[string]bool, ob *observation) error {
	list, err := w.o.PointsExpiring(ctx)
	if err != nil {
		return fmt.Errorf("read loyalty program %s expiring points: %w", w.pb.Trigger.Event.ProgramRef, err)
	}
	for _, e := range list {
		if e.MemberID == "" || e.ExpiresAt.IsZero() {
			return fmt.Errorf("loyalty program %s listed an expiring member without memberId or expiresAt",
				w.pb.Trigger.Event.ProgramRef)
		}
	}
	for _, e := range list {
		if journey.Shard(e.MemberID, w.o.Shards) != w.o.Shard || !members[e.MemberID] {
			continue
		}
		key := journey.SeenExpiry(e.ExpiresAt)
		if w.seen[e.MemberID] == key || ob.seenIfEnrolled[e.MemberID] != "" {
			continue
		}
		ob.candidates = append(ob.candidates, e.MemberID)
		ob.seenIfEnrolled[e.MemberID] = key
	}
	return nil
}
