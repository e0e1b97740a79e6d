package campaign

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/retention-dev/retention-operator/internal/journey"
)

// noTier stands for "no tier" in a recorded change: the loyalty ledger
// records only real changes, so a change from no tier is one, whereas
// journey.TierChanged treats an empty previous tier as "never seen".
const noTier = "\x00none"

// tierChanges reads the program's tier changes after this shard's cursor
// and returns the shard's members whose tier changed to the trigger's tier
// (journey.TierChanged), sorted, with the new cursor. The cursor is saved
// only after the enrolments commit, so a crash re-reads the changes and
// CanEnter refuses a second enrolment. On the first start the cursor is
// moved to the end without enrolling: changes from before the playbook
// existed are not back-filled (as with schedules).
func (w *worker) tierChanges(ctx context.Context) ([]string, string, error) {
	last, err := w.db.JourneyCursor(ctx, w.pb.Name, w.cursorName("tierChanges"))
	if err != nil {
		return nil, "", err
	}
	first := last == ""
	after := int64(0)
	if !first {
		if after, err = strconv.ParseInt(last, 10, 64); err != nil {
			return nil, "", fmt.Errorf("tier change cursor %q of playbook %s is not a change id: %w", last, w.pb.Name, err)
		}
	}
	seen := map[string]bool{}
	for {
		page, err := w.o.TierChanges(ctx, after)
		if err != nil {
			return nil, "", fmt.Errorf("read loyalty tier changes: %w", err)
		}
		if len(page) == 0 {
			break
		}
		for _, c := range page {
			if c.ID <= after {
				return nil, "", fmt.Errorf("loyalty tier changes out of order: id %d after cursor %d", c.ID, after)
			}
			after = c.ID
			if !first && journey.Shard(c.MemberID, w.o.Shards) == w.o.Shard &&
				journey.TierChanged(w.pb.Trigger.TierChange, cmp.Or(c.From, noTier), c.To) {
				seen[c.MemberID] = true
			}
		}
	}
	out := slices.Sorted(maps.Keys(seen))
	return out, strconv.FormatInt(after, 10), nil
}
