package campaign

import (
	"context"
	"time"

	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
)

// Variant figures come from the delivery ledger (store.VariantTallies), so
// every replica and every restart computes the same numbers, and the
// promoted winners live in the store, so a promotion survives restarts and
// all replicas switch together.

// VariantPromotion is the variant a step sends to everyone now: promoted by
// the worker (At set) or pinned in the spec (Pinned).
type VariantPromotion struct {
	Step    string    `json:"step"`
	Variant string    `json:"variant"`
	At      time.Time `json:"at,omitempty"`
	Pinned  bool      `json:"pinned,omitempty"`
}

// loadWinners reads the promoted variants the next tick's sends use.
func (w *worker) loadWinners(ctx context.Context) (map[string]string, error) {
	if !hasVariants(w.pb) {
		return nil, nil
	}
	ps, err := w.db.VariantPromotions(ctx, w.pb.Name)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ps))
	for step, p := range ps {
		out[step] = p.Variant
	}
	return out, nil
}

// variantFigures is every send step's variants with their ledger figures,
// in spec order; a variant that has sent nothing yet is listed with zeros
// (the promotion rule needs to see that its sample is short).
func (w *worker) variantFigures(ctx context.Context) ([]journey.VariantFigures, error) {
	if !hasVariants(w.pb) {
		return nil, nil
	}
	tallies, err := w.db.VariantTallies(ctx, w.pb.Name)
	if err != nil {
		return nil, err
	}
	byKey := map[[2]string]store.VariantTally{}
	for _, t := range tallies {
		byKey[[2]string{t.Step, t.Variant}] = t
	}
	var out []journey.VariantFigures
	for _, s := range w.pb.Steps {
		if s.Send == nil || len(s.Send.Variants) == 0 {
			continue
		}
		step := make([]journey.VariantFigures, len(s.Send.Variants))
		for i, v := range s.Send.Variants {
			t := byKey[[2]string{s.Name, v.Name}]
			step[i] = journey.VariantFigures{Step: s.Name, Name: v.Name, Sends: t.Sends, Conversions: t.Conversions}
		}
		journey.ComputeVariantFigures(step)
		out = append(out, step...)
	}
	return out, nil
}

// promoteVariants promotes the winner of every step whose promote rule is
// met (journey.Winner: minimum sample per variant, then the probability to
// be best) and that has no pin and no winner yet. The store keeps the first
// promotion; new sends of the step use it from the next tick on.
func (w *worker) promoteVariants(ctx context.Context) error {
	open := map[string]*journey.Promote{}
	for _, s := range w.pb.Steps {
		if s.Send != nil && s.Send.Promote != nil && s.Send.Pinned == "" {
			open[s.Name] = s.Send.Promote
		}
	}
	if len(open) == 0 {
		return nil
	}
	done, err := w.db.VariantPromotions(ctx, w.pb.Name)
	if err != nil {
		return err
	}
	for step := range done {
		delete(open, step)
	}
	if len(open) == 0 {
		return nil
	}
	figs, err := w.variantFigures(ctx)
	if err != nil {
		return err
	}
	byStep := map[string][]journey.VariantFigures{}
	for _, f := range figs {
		byStep[f.Step] = append(byStep[f.Step], f)
	}
	for step, rule := range open {
		name := journey.Winner(byStep[step], rule)
		if name == "" {
			continue
		}
		p, err := w.db.PromoteVariant(ctx, w.pb.Name, step, name, w.o.Clock())
		if err != nil {
			return err
		}
		w.o.Logger.Info("variant promoted", "playbook", w.pb.Name, "step", step, "variant", p.Variant)
	}
	return nil
}

// variantPromotions lists what each step sends to everyone now: the pin
// from the spec, else the promotion in the store.
func (w *worker) variantPromotions(ctx context.Context) ([]VariantPromotion, error) {
	if !hasVariants(w.pb) {
		return nil, nil
	}
	ps, err := w.db.VariantPromotions(ctx, w.pb.Name)
	if err != nil {
		return nil, err
	}
	var out []VariantPromotion
	for _, s := range w.pb.Steps {
		switch {
		case s.Send == nil:
		case s.Send.Pinned != "":
			out = append(out, VariantPromotion{Step: s.Name, Variant: s.Send.Pinned, Pinned: true})
		case ps[s.Name].Variant != "":
			out = append(out, VariantPromotion{Step: s.Name, Variant: ps[s.Name].Variant, At: ps[s.Name].At.UTC()})
		}
	}
	return out, nil
}

func hasVariants(pb *journey.Playbook) bool {
	for _, s := range pb.Steps {
		if s.Send != nil && len(s.Send.Variants) > 0 {
			return true
		}
	}
	return false
}
