package store

import (
	"context"
	"fmt"
	"sort"

	"github.com/retention-dev/retention-operator/internal/journey"
)

// ReplaceMembership replaces the stored members of segment with ids in one
// transaction (the metric job writes it; playbooks diff against it).
func (db *DB) ReplaceMembership(ctx context.Context, segment string, ids []string) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if _, err := tx.Exec(ctx, `DELETE FROM segment_members WHERE segment = $1`, segment); err != nil {
		return fmt.Errorf("replace membership of %s: %w", segment, err)
	}
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	for _, c := range chunkRows(len(sorted), 2) {
		part := sorted[c[0]:c[1]]
		args := make([]any, 0, 2*len(part))
		for _, id := range part {
			args = append(args, segment, id)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO segment_members (segment, customer_id) VALUES `+valuesList(len(part), 2)+
			` ON CONFLICT (segment, customer_id) DO NOTHING`, args...); err != nil {
			return fmt.Errorf("replace membership of %s: %w", segment, err)
		}
	}
	return tx.Commit()
}

// SegmentMembers returns the stored members of segment as a set.
func (db *DB) SegmentMembers(ctx context.Context, segment string) (map[string]bool, error) {
	out, err := querySet(ctx, db, `SELECT customer_id FROM segment_members WHERE segment = $1`, segment)
	if err != nil {
		return nil, fmt.Errorf("segment members of %s: %w", segment, err)
	}
	return out, nil
}

// MembershipDiff compares the stored members of segment with what playbook
// last saw (journey.SeenInSegment): entered are members now and not then,
// left the reverse. Both sorted.
func (db *DB) MembershipDiff(ctx context.Context, segment, playbook string) (entered, left []string, err error) {
	now, err := db.SegmentMembers(ctx, segment)
	if err != nil {
		return nil, nil, err
	}
	seen, err := db.LoadJourneySeen(ctx, playbook, 0, 1)
	if err != nil {
		return nil, nil, err
	}
	for id := range now {
		if seen[id] != journey.SeenInSegment {
			entered = append(entered, id)
		}
	}
	for id, v := range seen {
		if v == journey.SeenInSegment && !now[id] {
			left = append(left, id)
		}
	}
	sort.Strings(entered)
	sort.Strings(left)
	return entered, left, nil
}
