package metrics

import (
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
)

// A member row's stored score, read back on the run's day, gives exactly
// the churn probability and predicted CLV the run scored the member with,
// and the next day's as a run on that day would.
func TestStoredScoreEqualsTheRunsScore(t *testing.T) {
	model := modelOf(clv.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}, clv.GammaGamma{P: 6.25, Q: 3.74, V: 15.44})
	now := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)
	days := datasource.PurchaseDays{Days: 5, FirstDay: clv.DayNumber(now.Add(-400 * 24 * time.Hour)),
		LastDay: clv.DayNumber(now.Add(-45 * 24 * time.Hour)), RepeatSpend: 123.45}
	a := &aggregate{hasFeatures: true, hasDays: true, days: days}
	for _, day := range []time.Time{now, now.Add(24 * time.Hour), now.Add(9 * 24 * time.Hour)} {
		r := &run{now: day, preds: &predictor{model: model, endDay: clv.DayNumber(day),
			buyers: buyersOf([]clv.Buyer{{ID: "c1", ScoreInputs: scoreInputs(days)}})}}
		f := customer.Features{ID: "c1"}
		if err := r.preds.predict(&f); err != nil {
			t.Fatal(err)
		}
		// The snapshot keeps the run's model once (scoreModel) and the
		// member's inputs in its row (storedScore).
		churn, value, err := r.scoreModel().At(*r.storedScore(a), day)
		if err != nil {
			t.Fatal(err)
		}
		if churn != f.ChurnProbability || value != f.PredictedCLV || value == 0 {
			t.Fatalf("%s: stored score gives %v / %v, the run scored %v / %v", day, churn, value, f.ChurnProbability, f.PredictedCLV)
		}
	}
	if (&run{preds: &predictor{model: model}}).storedScore(&aggregate{hasFeatures: true}) != nil {
		t.Fatal("a customer who never bought must carry no score")
	}
	if (&run{}).storedScore(a) != nil {
		t.Fatal("a run that scored nobody must store no score")
	}
}
