package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"
)

// TestSegmentSnapshot: the first snapshot enters everyone, the second diffs
// against it, a failed fill keeps it, and the campaign worker's reader sees it.
func TestSegmentSnapshot(t *testing.T) {
	forEachDialect(t, nil, func(t *testing.T, ctx context.Context, db *DB) {
		// Both components create segment_members; either order must work.
		if err := db.MigrateSegments(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.MigrateJourney(ctx); err != nil {
			t.Fatal(err)
		}
		ref := SegmentRef{Namespace: "shop", Name: "lapsed"}
		other := SegmentRef{Namespace: "shop", Name: "vip"}
		t1 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
		snap := func(ref SegmentRef, at time.Time, ids ...string) SegmentDiff {
			t.Helper()
			d, err := db.ReplaceSegmentSnapshot(ctx, ref, at, func(add func(string) error) error {
				for _, id := range ids {
					if err := add(id); err != nil {
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
		if d := snap(ref, t1, "a", "b", "c", "a"); d != (SegmentDiff{Size: 3, Entered: 3}) {
			t.Fatalf("first snapshot %+v, want size 3 entered 3", d)
		}
		snap(other, t1, "a", "z")
		t2 := t1.Add(time.Hour)
		if d := snap(ref, t2, "b", "c", "d", "e"); d != (SegmentDiff{Size: 4, Entered: 2, Exited: 1}) {
			t.Fatalf("second snapshot %+v, want size 4 entered 2 (d e) exited 1 (a)", d)
		}
		// A fill that fails half-way leaves the snapshot and the run alone.
		boom := errors.New("orders.csv line 3: amount -1 is negative")
		_, err := db.ReplaceSegmentSnapshot(ctx, ref, t2.Add(time.Hour), func(add func(string) error) error {
			add("x") //nolint:errcheck
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the fill's error", err)
		}
		if err := db.RecordSegmentFailure(ctx, ref, t2.Add(time.Hour), boom.Error()); err != nil {
			t.Fatal(err)
		}
		members, err := db.SegmentMembers(ctx, ref.Key())
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for id := range members {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		if fmt.Sprint(ids) != "[b c d e]" {
			t.Fatalf("members after failed run %v, want [b c d e]", ids)
		}
		run, ok, err := db.LastSegmentRun(ctx, ref)
		if err != nil || !ok {
			t.Fatalf("run %v %v", ok, err)
		}
		want := SegmentRun{LastRunAt: t2.Add(time.Hour), LastSuccessAt: t2, Succeeded: false, Error: boom.Error(),
			Size: 4, Entered: 2, Exited: 1}
		if run != want {
			t.Fatalf("run %+v\nwant %+v", run, want)
		}
		// The next good run diffs against the last good snapshot.
		if d := snap(ref, t2.Add(2*time.Hour), "e", "f"); d != (SegmentDiff{Size: 2, Entered: 1, Exited: 3}) {
			t.Fatalf("after failure %+v, want size 2 entered 1 exited 3", d)
		}
		if d := snap(other, t2, "a", "z"); d != (SegmentDiff{Size: 2}) {
			t.Fatalf("other segment %+v, want unchanged size 2", d)
		}
	})
}

// TestSegmentSnapshotLarge crosses the staging batch boundaries of both loaders.
func TestSegmentSnapshotLarge(t *testing.T) {
	forEachDialect(t, (*DB).MigrateSegments, func(t *testing.T, ctx context.Context, db *DB) {
		ref := SegmentRef{Namespace: "shop", Name: "all"}
		fill := func(from, to int) func(func(string) error) error {
			return func(add func(string) error) error {
				for i := from; i < to; i++ {
					if err := add(fmt.Sprintf("c%06d", i)); err != nil {
						return err
					}
				}
				return nil
			}
		}
		n := snapshotBatch + sqliteInsertRows + 7
		if _, err := db.ReplaceSegmentSnapshot(ctx, ref, time.Unix(1, 0), fill(0, n)); err != nil {
			t.Fatal(err)
		}
		d, err := db.ReplaceSegmentSnapshot(ctx, ref, time.Unix(2, 0), fill(100, n+50))
		if err != nil {
			t.Fatal(err)
		}
		if d != (SegmentDiff{Size: int64(n - 50), Entered: 50, Exited: 100}) {
			t.Fatalf("diff %+v, want size %d entered 50 exited 100", d, n-50)
		}
	})
}
