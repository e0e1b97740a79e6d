package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
)

// memberRows reads the feature rows of the segment's members in one shard
// of shards, by member id.
func memberRows(t *testing.T, ctx context.Context, db *DB, ref SegmentRef, shard, shards int) map[string]*customer.Features {
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
			return memberRows(t, ctx, db, ref, shard, shards)
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

// An incremental run's snapshot is written as a diff: joiners, leavers and
// changed rows are counted and written, unchanged rows are left alone (no
// new row version), rows come back with recencyDays and tenureDays as of the
// last run, and a plain run afterwards takes the rows back with its own
// times.
func TestUpdateSegmentSnapshotRowsWritesTheDiff(t *testing.T) {
	forEachDialect(t, (*DB).MigrateSegments, func(t *testing.T, ctx context.Context, db *DB) {
		ref := SegmentRef{Namespace: "shop", Name: "lapsed"}
		day0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		created := day0.Add(-100 * 24 * time.Hour)
		row := func(id string, lastOrder time.Time, spend float64) customer.Features {
			f := customer.Features{ID: id, Email: id + "@example.com", Monetary: spend, LastOrderAt: lastOrder, CreatedAt: created}
			f.SetTimesAsOf(day0) // the caller's times: never stored
			return f
		}
		// b is scored: its row keeps its purchase days, the run the model.
		model := &clv.ScoreModel{BGNBD: clv.BGNBD{R: 0.24, Alpha: 4.41, A: 0.79, B: 2.43},
			GammaGamma: clv.GammaGamma{P: 6.25, Q: 3.74, V: 15.44}, Unit: 7 * 24 * time.Hour, HorizonMonths: 12, MonthlyDiscount: 0.01}
		days := new(clv.NewScoreInputs(4, clv.DayNumber(created), clv.DayNumber(day0.Add(-35*24*time.Hour)), 60))
		update := func(at time.Time, fs ...customer.Features) SegmentDiff {
			t.Helper()
			d, err := db.UpdateSegmentSnapshotRows(ctx, ref, at, func(add func(*customer.Features, *clv.ScoreInputs) error) (*clv.ScoreModel, error) {
				for i := range fs {
					var s *clv.ScoreInputs
					if fs[i].ID == "b" {
						s = days
						fs[i].ChurnProbability, fs[i].PredictedCLV = 0.5, 99 // the caller's day's score: never stored
					}
					if err := add(&fs[i], s); err != nil {
						return nil, err
					}
				}
				return model, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		read := func() map[string]*customer.Features {
			t.Helper()
			return memberRows(t, ctx, db, ref, 0, 1)
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
		if d := update(day0, row("a", lastA, 10), row("b", lastB, 20)); d != (SegmentDiff{Size: 2, Entered: 2, Rewritten: 2}) {
			t.Fatalf("first snapshot %+v", d)
		}
		got := read()
		if got["a"] == nil || got["a"].RecencyDays != 40 || got["a"].TenureDays != 100 || got["b"].RecencyDays != 35 {
			t.Fatalf("times as of day 0: %+v %+v", got["a"], got["b"])
		}
		churn0, value0, err := model.At(*days, day0)
		if err != nil || churn0 <= 0 || value0 <= 0 {
			t.Fatalf("score as of day 0: %v %v %v", churn0, value0, err)
		}
		if got["b"].ChurnProbability != churn0 || got["b"].PredictedCLV != value0 || got["a"].ChurnProbability != 0 {
			t.Fatalf("scores as of day 0: b %v %v, want %v %v; a %v", got["b"].ChurnProbability, got["b"].PredictedCLV,
				churn0, value0, got["a"].ChurnProbability)
		}
		vA, vB := rowVersion("a"), rowVersion("b")
		day1 := day0.Add(24 * time.Hour)
		// Day 1 with nothing changed: no row is rewritten, b is scored
		// as of day 1 when read.
		if d := update(day1, row("a", lastA, 10), row("b", lastB, 20)); d != (SegmentDiff{Size: 2}) {
			t.Fatalf("quiet day %+v", d)
		}
		if db.Dialect == Postgres && (rowVersion("a") != vA || rowVersion("b") != vB) {
			t.Fatal("a quiet day rewrote rows")
		}
		churn1, value1, _ := model.At(*days, day1)
		if got = read(); got["b"].ChurnProbability != churn1 || got["b"].PredictedCLV != value1 || churn1 == churn0 ||
			got["b"].RecencyDays != 36 {
			t.Fatalf("b as of day 1: %+v, want churn %v (day 0: %v)", got["b"], churn1, churn0)
		}

		// Day 1 refitted: the model is the run's, so no row is rewritten,
		// and b is read with the new model.
		fitted := *model
		model = &clv.ScoreModel{BGNBD: clv.BGNBD{R: 0.3, Alpha: 5, A: 0.7, B: 2.1}, GammaGamma: fitted.GammaGamma,
			Unit: fitted.Unit, HorizonMonths: fitted.HorizonMonths, MonthlyDiscount: fitted.MonthlyDiscount}
		if d := update(day1, row("a", lastA, 10), row("b", lastB, 20)); d != (SegmentDiff{Size: 2}) {
			t.Fatalf("refitted quiet day %+v", d)
		}
		if db.Dialect == Postgres && (rowVersion("a") != vA || rowVersion("b") != vB) {
			t.Fatal("a refit rewrote rows")
		}
		churnRefit, valueRefit, _ := model.At(*days, day1)
		if got = read(); got["b"].ChurnProbability != churnRefit || got["b"].PredictedCLV != valueRefit || churnRefit == churn1 {
			t.Fatalf("b refitted: %+v, want churn %v (before the refit: %v)", got["b"], churnRefit, churn1)
		}

		// Day 1 again: a unchanged, b spent more, c joins.
		if d := update(day1, row("a", lastA, 10), row("b", lastB, 25), row("c", day1, 5)); d != (SegmentDiff{Size: 3, Entered: 1, Rewritten: 2}) {
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

// A row written before the model moved to segment_runs carries the model
// itself, and is scored with it whatever the run's; a new row is scored
// with the run's, and without one keeps zeros.
func TestTimelessRowsScoredWithTheirModel(t *testing.T) {
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	own := clv.ScoreModel{BGNBD: clv.BGNBD{R: 0.24, Alpha: 4.41, A: 0.79, B: 2.43}, GammaGamma: clv.GammaGamma{P: 6.25, Q: 3.74, V: 15.44},
		Unit: 7 * 24 * time.Hour, HorizonMonths: 12, MonthlyDiscount: 0.01}
	runs := own
	runs.BGNBD.R = 0.5
	days := clv.NewScoreInputs(3, clv.DayNumber(at)-300, clv.DayNumber(at)-20, 40)
	legacy := `{"ID":"b","Score":{"bgnbd":{"R":0.24,"Alpha":4.41,"A":0.79,"B":2.43},"gammaGamma":{"P":6.25,"Q":3.74,"V":15.44},` +
		`"unit":604800000000000,"horizonMonths":12,"monthlyDiscount":0.01,"days":3,"firstDay":` +
		fmt.Sprint(days.FirstDay) + `,"lastDay":` + fmt.Sprint(days.LastDay) + `,"repeatSpend":40}}`
	current, err := encodeTimelessFeatures(&customer.Features{ID: "b"}, &days)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, row string
		run, want clv.ScoreModel
	}{
		{"legacy row", legacy, runs, own},
		{"current row", current, runs, runs},
	} {
		f, err := decodeTimelessFeatures([]byte(c.row), at, c.run)
		if err != nil {
			t.Fatal(err)
		}
		churn, value, _ := c.want.At(days, at)
		if f.ChurnProbability != churn || f.PredictedCLV != value || value == 0 {
			t.Errorf("%s: %v / %v, want %v / %v", c.name, f.ChurnProbability, f.PredictedCLV, churn, value)
		}
	}
	if f, err := decodeTimelessFeatures([]byte(current), at, clv.ScoreModel{}); err != nil || f.PredictedCLV != 0 || f.ChurnProbability != 0 {
		t.Fatalf("no model: %+v %v", f, err)
	}
	if strings.Contains(current, "bgnbd") {
		t.Fatalf("a current row carries the model: %s", current)
	}
}
