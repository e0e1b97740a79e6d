package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/redact"
	"github.com/retention-dev/retention-operator/internal/store"
)

// storedModel is the JSON of a Segment's fitted parameters in segment_models.
// Go's float formatting round-trips exactly, so a run that reads it scores
// with the very parameters that were fitted.
type storedModel struct {
	BGNBD      clv.BGNBD      `json:"bgnbd"`
	GammaGamma clv.GammaGamma `json:"gammaGamma"`
}

// incrementalModel sets r.preds for an incremental-mode run. The summary
// rows (x, t_x, T, m) are built from every buyer's stored purchase days with
// T as of r.now, in id order, as a full run builds them. The parameters are
// refitted on them when spec.incremental.refitEvery has elapsed since the
// last fit (or with --refit, or when none is stored or the aggregates'
// meaning changed) and read from the state store otherwise: refitting a
// model of thousands of customers each day on a day's more data moves it
// little and costs most of the run. Scoring is not skipped for anyone: T
// grows for every customer every day and P(alive) and CLV depend on it, so
// each run scores the members it reports, with the current T.
func (r *run) incrementalModel(ctx context.Context, aggs map[string]*aggregate, ids []string, hash string, set incrementalSettings) error {
	var bb buyersBuilder
	for _, id := range ids {
		if a := aggs[id]; a.hasDays {
			bb.add(id, scoreInputs(a.days))
		}
	}
	buyers := bb.sorted()
	stored, have, err := r.o.DB.LoadSegmentModel(ctx, r.ref)
	if err != nil {
		return fmt.Errorf("state store: %w", err)
	}
	refit := r.o.Refit || !have || stored.SpecHash != hash || r.now.Before(stored.FittedAt) ||
		r.now.Sub(stored.FittedAt) >= set.refitEvery
	var model clv.Model
	if !refit {
		var sm storedModel
		if err := json.Unmarshal([]byte(stored.Model), &sm); err != nil {
			refit = true // unreadable: fit again rather than fail
		} else {
			model = modelOf(sm.BGNBD, sm.GammaGamma)
		}
	}
	if refit {
		model, err = fitModel(buyerRows(buyers, r.now), r.now)
		var fit *fitError
		switch {
		case errors.As(err, &fit) && !r.plan.criteriaPredicts:
			r.o.Logger.Warn("predicted CLV left out", "reason", redact.Error(err))
			r.preds, r.fitNote = nil, redact.Error(err)
			return nil
		case err != nil:
			return err
		}
		b, err := json.Marshal(storedModel{BGNBD: model.BGNBD, GammaGamma: model.GammaGamma})
		if err != nil {
			return fmt.Errorf("predicted CLV: %w", err)
		}
		if err := r.o.DB.SaveSegmentModel(ctx, r.ref, store.SegmentModel{SpecHash: hash, FittedAt: r.now, Model: string(b)}); err != nil {
			return fmt.Errorf("state store: %w", err)
		}
	}
	r.o.Logger.Info("predicted CLV model", "segment", r.ref.Key(), "refitted", refit, "buyers", buyers.len())
	r.preds = &predictor{model: model, endDay: clv.DayNumber(r.now.UTC()), buyers: buyers}
	return nil
}

// storedScore is what a member's snapshot row keeps to derive its churn
// probability and predicted CLV on any day with the run's model (the reader
// scores it as of the snapshot's run, as predict did here): nil when
// nothing was scored or the customer never bought, whose predicted fields
// are zero.
func (r *run) storedScore(a *aggregate) *clv.ScoreInputs {
	if r.preds == nil || !a.hasDays {
		return nil
	}
	in := scoreInputs(a.days)
	return &in
}

// scoreInputs are the purchase days as a score's inputs.
func scoreInputs(d datasource.PurchaseDays) clv.ScoreInputs {
	return clv.NewScoreInputs(d.Days, d.FirstDay, d.LastDay, d.RepeatSpend)
}
