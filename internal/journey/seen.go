package journey

import "time"

// Seen is what a Playbook's trigger last observed of one customer. The
// journey store keeps it (journey_seen) so a restarted worker observes from
// where the last tick left off. What it holds depends on the trigger, of
// which a Playbook has exactly one:
//   - segment entry: SeenInSegment or SeenOutside (SegmentEntered);
//   - tier change read from the feature rows: the tier (SeenTier, TierChanged);
//   - points expiring: the day the reminded points lapse (SeenExpiry).
type Seen string

// The values of a segment-entry trigger.
const (
	SeenInSegment Seen = "1"
	SeenOutside   Seen = "0"
)

// SeenTier is the loyalty tier a tier-change trigger last read.
func SeenTier(tier string) Seen { return Seen(tier) }

// Tier is the tier a tier-change trigger stored ("" when none was seen).
func (s Seen) Tier() string { return string(s) }

// SeenExpiry is the expiry a points-expiring reminder was started for: the
// UTC day the points lapse. Lots lapsing on the same day are one expiry; the
// next lot's day is a new one.
func SeenExpiry(at time.Time) Seen { return Seen(at.UTC().Format(time.DateOnly)) }
