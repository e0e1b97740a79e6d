package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/customer"
)

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
