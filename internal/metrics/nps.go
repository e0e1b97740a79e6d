package metrics

import (
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// NPS is the Net Promoter Score over each customer's latest answer before end:
//
//	NPS = (promoters - detractors) / respondents · 100
//
// with promoters scoring 9-10, detractors 0-6 and passives (7-8) counting only
// in the denominator. Scores outside 0..10 are ignored as invalid. ok is false
// when nobody answered.
func NPS(feedback []customer.Feedback, end time.Time) (score float64, ok bool) {
	type answer struct {
		at    time.Time
		score int
	}
	latest := make(map[string]answer)
	for _, f := range feedback {
		if f.Score < 0 || f.Score > 10 || !f.OccurredAt.Before(end) {
			continue
		}
		if prev, seen := latest[f.CustomerID]; !seen || f.OccurredAt.After(prev.at) {
			latest[f.CustomerID] = answer{f.OccurredAt, f.Score}
		}
	}
	scores := make([]int, 0, len(latest))
	for _, a := range latest {
		scores = append(scores, a.score)
	}
	return NPSFromScores(scores)
}

// NPSFromScores is NPS over one score per respondent (e.g. the feature rows'
// last answer); negative scores mean "never answered" and are skipped.
func NPSFromScores(scores []int) (score float64, ok bool) {
	var promoters, detractors, respondents int
	for _, s := range scores {
		if s < 0 || s > 10 {
			continue
		}
		respondents++
		switch {
		case s >= 9:
			promoters++
		case s <= 6:
			detractors++
		}
	}
	if respondents == 0 {
		return 0, false
	}
	return float64(promoters-detractors) / float64(respondents) * 100, true
}
