package clv

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// weightedRFM is one distinct (x, t_x, T) with the number of customers who
// share it. Customers with identical histories contribute identical
// likelihood terms, and in weekly or daily data most of them coincide (all
// one-time buyers of the same day), so fitting over distinct rows is many
// times faster than over customers.
type weightedRFM struct {
	x, tx, T, weight float64
}

func groupRFM(rows Rows) ([]weightedRFM, error) {
	// Sorted and run-length compressed rather than indexed by a map: the
	// copy is the only memory it takes (32 bytes a customer), where a map
	// over a million customers' distinct triples cost the metric job a
	// transient 100 MB and more.
	out := make([]weightedRFM, rows.N)
	for i := range rows.N {
		s := rows.At(i)
		if err := checkRFM(s); err != nil {
			return nil, fmt.Errorf("summary row %d (customer %q): %w", i, s.CustomerID, err)
		}
		out[i] = weightedRFM{x: s.Frequency, tx: s.Recency, T: s.T, weight: 1}
	}
	slices.SortFunc(out, func(a, b weightedRFM) int {
		return cmp.Or(cmp.Compare(a.x, b.x), cmp.Compare(a.tx, b.tx), cmp.Compare(a.T, b.T))
	})
	groups := out[:0]
	for _, g := range out {
		if n := len(groups); n > 0 && groups[n-1].x == g.x && groups[n-1].tx == g.tx && groups[n-1].T == g.T {
			groups[n-1].weight++
			continue
		}
		groups = append(groups, g)
	}
	return slices.Clip(groups), nil
}

func checkRFM(s Summary) error {
	switch {
	case !(s.Frequency >= 0) || s.Frequency != math.Trunc(s.Frequency):
		return fmt.Errorf("frequency %v must be a non-negative whole number", s.Frequency)
	case !(s.Recency >= 0) || !(s.T >= s.Recency) || math.IsInf(s.T, 0):
		return fmt.Errorf("need 0 <= recency (%v) <= T (%v)", s.Recency, s.T)
	case s.Frequency > 0 && s.Recency == 0:
		// Summarize never produces this (repeat days are later days); a
		// hand-made row like this makes the t_x term meaningless.
		return fmt.Errorf("frequency %v > 0 needs recency > 0", s.Frequency)
	}
	return nil
}

// FitBGNBD estimates BG/NBD parameters by maximum likelihood (sum of
// CustomerLogLikelihood over rows) starting from r = α = a = b = 1, as
// lifetimes does. The returned stats hold the total log-likelihood.
func FitBGNBD(rows []Summary) (BGNBD, FitStats, error) { return fitBGNBD(RowsOf(rows)) }

func fitBGNBD(rows Rows) (BGNBD, FitStats, error) {
	if rows.N == 0 {
		return BGNBD{}, FitStats{}, errors.New("BG/NBD fit needs at least one customer summary")
	}
	groups, err := groupRFM(rows)
	if err != nil {
		return BGNBD{}, FitStats{}, err
	}
	repeaters := false
	for _, g := range groups {
		repeaters = repeaters || g.x > 0
	}
	n := float64(rows.N)
	if !repeaters {
		return BGNBD{}, FitStats{}, errors.New("BG/NBD fit needs at least one customer with a repeat purchase (frequency > 0): the drop-out parameters are not identified otherwise")
	}
	eval := newBGNBDEvaluator(groups).eval
	p, stats, err := maximizeLogParams(eval, []float64{1, 1, 1, 1}, n)
	if err != nil {
		return BGNBD{}, stats, fmt.Errorf("BG/NBD: %w", err)
	}
	return BGNBD{R: p[0], Alpha: p[1], A: p[2], B: p[3]}, stats, nil
}
