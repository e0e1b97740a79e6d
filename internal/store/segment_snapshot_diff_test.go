package store

import (
	"context"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// An incremental run's snapshot is written as a diff: joiners, leavers and
// changed rows are counted and written, unchanged rows are left alone (no
// new row version), rows come back with recencyDays and tenureDays as of the
// last run, and a plain run afterwards takes the rows back with its own
// times.
func TestUpdateSegmentSnapshotRowsWritesTheDiff(t *testing.T) {
	for name, open := range journeyDBs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := open(t)
			if err := db.MigrateSegments(ctx); err != nil {
				t.Fatal(err)
			}
			ref := SegmentRef{Namespace: "shop", Name: "lapsed"}
			day0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
			created := day0.Add(-100 * 24 * time.Hour)
			row := func(id string, lastOrder time.Time, spend float64) customer.Features {
				f := customer.Features{ID: id, Email: id + "@example.com", Monetary: spend, LastOrderAt: lastOrder, CreatedAt: created}
				f.SetTimesAsOf(day0) // the caller's times: never stored
				return f
			}
			update := func(at time.Time, fs ...customer.Features) SegmentDiff {
				t.Helper()
				d, err := db.UpdateSegmentSnapshotRows(ctx, ref, at, func(add func(*customer.Features) error) error {
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
			read := func() map[string]*customer.Features {
				t.Helper()
				out := map[string]*customer.Features{}
				if err := db.SegmentMemberRows(ctx, ref, 0, 1, func(id string, f *customer.Features) error {
					out[id] = f
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				return out
			}
			// rowVersion identifies a stored row's version: PostgreSQL's xmin
			// changes on every rewrite; SQLite's features text is compared.
			rowVersion := func(id string) string {
				t.Helper()
				q := `SELECT features FROM segment_member_features WHERE segment = $1 AND customer_id = $2`
				if db.Dialect == Postgres {
					q = `SELECT xmin::text FROM segment_member_features WHERE segment = $1 AND customer_id = $2`
				}
				var v string
				if err := db.QueryRow(ctx, q, ref.Key(), id).Scan(&v); err != nil {
					t.Fatal(err)
				}
				return v
			}
			lastA, lastB := day0.Add(-40*24*time.Hour), day0.Add(-35*24*time.Hour)
			if d := update(day0, row("a", lastA, 10), row("b", lastB, 20)); d != (SegmentDiff{Size: 2, Entered: 2}) {
				t.Fatalf("first snapshot %+v", d)
			}
			got := read()
			if got["a"] == nil || got["a"].RecencyDays != 40 || got["a"].TenureDays != 100 || got["b"].RecencyDays != 35 {
				t.Fatalf("times as of day 0: %+v %+v", got["a"], got["b"])
			}
			vA, vB := rowVersion("a"), rowVersion("b")

			// Day 1: a unchanged, b spent more, c joins.
			day1 := day0.Add(24 * time.Hour)
			if d := update(day1, row("a", lastA, 10), row("b", lastB, 25), row("c", day1, 5)); d != (SegmentDiff{Size: 3, Entered: 1}) {
				t.Fatalf("day 1 %+v", d)
			}
			if db.Dialect == Postgres && rowVersion("a") != vA {
				t.Fatal("an unchanged member's row was rewritten")
			}
			if rowVersion("b") == vB {
				t.Fatal("a changed member's row was not rewritten")
			}
			got = read()
			if len(got) != 3 || got["a"].RecencyDays != 41 || got["a"].TenureDays != 101 || got["b"].Monetary != 25 ||
				got["c"].RecencyDays != 0 || got["c"].Email != "c@example.com" {
				t.Fatalf("day 1 rows: %+v %+v %+v", got["a"], got["b"], got["c"])
			}

			// Day 2: a leaves; its membership and row go.
			day2 := day1.Add(24 * time.Hour)
			if d := update(day2, row("b", lastB, 25), row("c", day1, 5)); d != (SegmentDiff{Size: 2, Exited: 1}) {
				t.Fatalf("day 2 %+v", d)
			}
			var rows int
			if err := db.QueryRow(ctx, `SELECT count(*) FROM segment_member_features WHERE segment = $1 AND customer_id = 'a'`, ref.Key()).Scan(&rows); err != nil {
				t.Fatal(err)
			}
			if got = read(); len(got) != 2 || got["a"] != nil || rows != 0 || got["c"].RecencyDays != 1 {
				t.Fatalf("day 2: %d rows read, %d stored for a, c %+v", len(got), rows, got["c"])
			}

			// A plain run stores its rows with their times again.
			plain := row("b", lastB, 25)
			plain.RecencyDays = 99.5
			if _, err := db.ReplaceSegmentSnapshotRows(ctx, ref, day2, func(add func(*customer.Features) error) error {
				return add(&plain)
			}); err != nil {
				t.Fatal(err)
			}
			if got = read(); len(got) != 1 || got["b"].RecencyDays != 99.5 {
				t.Fatalf("after a plain run: %+v", got["b"])
			}
		})
	}
}
