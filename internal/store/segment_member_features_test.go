package store

import (
	"context"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
)

// The metric job's snapshot carries each member's feature row, predicted
// features included; the campaign worker's reader returns them per shard; a
// member who left loses its row, a changed row is rewritten, and a run that
// stores ids only leaves members without rows.
func TestSegmentSnapshotRowsStoreMemberFeatures(t *testing.T) {
	forEachDialect(t, (*DB).MigrateSegments, func(t *testing.T, ctx context.Context, db *DB) {
		ref := SegmentRef{Namespace: "shop", Name: "at-risk"}
		at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		snap := func(at time.Time, fs ...customer.Features) SegmentDiff {
			t.Helper()
			d, err := db.ReplaceSegmentSnapshotRows(ctx, ref, at, func(add func(*customer.Features) error) error {
				for i := range fs {
					if err := add(&fs[i]); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		read := func(shard, shards int) map[string]*customer.Features {
			t.Helper()
			out := map[string]*customer.Features{}
			if err := db.SegmentMemberRows(ctx, ref, shard, shards, func(id string, f *customer.Features) error {
				out[id] = f
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			return out
		}
		row := func(id string, churn, clv float64) customer.Features {
			return customer.Features{ID: id, Email: id + "@example.com", ChurnProbability: churn, PredictedCLV: clv,
				LastOrderAt: at.Add(-48 * time.Hour), Attributes: map[string]string{"plan": "pro"}}
		}
		if d := snap(at, row("a", 0.9, 10), row("b", 0.8, 20), row("c", 0.7, 30)); d != (SegmentDiff{Size: 3, Entered: 3}) {
			t.Fatalf("first snapshot %+v", d)
		}
		got := read(0, 1)
		if len(got) != 3 || got["a"] == nil || got["a"].ChurnProbability != 0.9 || got["b"].PredictedCLV != 20 ||
			got["c"].Attributes["plan"] != "pro" || !got["a"].LastOrderAt.Equal(at.Add(-48*time.Hour)) {
			t.Fatalf("rows after the first snapshot: %+v", got)
		}
		// a leaves, b's prediction changes, d enters.
		if d := snap(at.Add(time.Hour), row("b", 0.95, 25), row("c", 0.7, 30), row("d", 0.6, 40)); d != (SegmentDiff{Size: 3, Entered: 1, Exited: 1}) {
			t.Fatalf("second snapshot %+v", d)
		}
		got = read(0, 1)
		if got["a"] != nil || len(got) != 3 || got["b"].ChurnProbability != 0.95 || got["d"].PredictedCLV != 40 {
			t.Fatalf("rows after the second snapshot: %+v", got)
		}
		var n int64
		if err := db.QueryRow(ctx, `SELECT count(*) FROM segment_member_features WHERE segment = $1`, ref.Key()).Scan(&n); err != nil || n != 3 {
			t.Fatalf("stored feature rows %d (%v), want 3", n, err)
		}
		// Shards split the members by the same bucket as journeys.
		union := 0
		for s := 0; s < 2; s++ {
			for id := range read(s, 2) {
				if journey.Shard(id, 2) != s {
					t.Errorf("member %s read in shard %d, belongs to %d", id, s, journey.Shard(id, 2))
				}
				union++
			}
		}
		if union != 3 {
			t.Errorf("shards 0 and 1 of 2 returned %d members, want 3", union)
		}
		// A run that writes ids only keeps the membership but no rows.
		if _, err := db.ReplaceSegmentSnapshot(ctx, ref, at.Add(2*time.Hour), func(add func(string) error) error {
			return add("b")
		}); err != nil {
			t.Fatal(err)
		}
		if got = read(0, 1); len(got) != 1 || got["b"] != nil {
			t.Fatalf("after an ids-only run: %+v, want member b without a row", got)
		}
	})
}
