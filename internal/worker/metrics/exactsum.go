package metrics

import (
	"encoding/json"
	"math"
	"strconv"
)

// exactSum adds float64s without rounding error: it keeps the running sum
// as non-overlapping partials (Shewchuk's algorithm, the one behind Python's
// math.fsum) and rounds once, correctly, when read. The result therefore does
// not depend on the order of the additions or on how they were grouped, so
// a sum over all members, a sum over shards' partial sums, and sums over
// rows a database returned in a different order are the same float64, bit
// for bit. A handful of partials is typical; each add walks them.
type exactSum struct {
	partials []float64
	// special accumulates infinities and NaNs (and a finite sum that
	// overflowed) with plain addition: any of them decides the result.
	special    float64
	hasSpecial bool
}

func (s *exactSum) add(x float64) {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		s.addSpecial(x)
		return
	}
	i := 0
	for _, y := range s.partials {
		if math.Abs(x) < math.Abs(y) {
			x, y = y, x
		}
		hi := x + y
		lo := y - (hi - x)
		if lo != 0 {
			s.partials[i] = lo
			i++
		}
		x = hi
	}
	s.partials = s.partials[:i]
	if x != 0 {
		if math.IsInf(x, 0) {
			s.addSpecial(x) // finite values whose sum overflows
			return
		}
		s.partials = append(s.partials, x)
	}
}

func (s *exactSum) addSpecial(x float64) {
	if !s.hasSpecial {
		s.special, s.hasSpecial = x, true
		return
	}
	s.special += x
}

// merge adds everything o holds.
func (s *exactSum) merge(o exactSum) {
	for _, p := range o.partials {
		s.add(p)
	}
	if o.hasSpecial {
		s.addSpecial(o.special)
	}
}

// value is the exact sum rounded to the nearest float64 (ties to even).
func (s *exactSum) value() float64 {
	if s.hasSpecial {
		return s.special
	}
	p := s.partials
	n := len(p)
	if n == 0 {
		return 0
	}
	n--
	hi := p[n]
	var lo float64
	for n > 0 {
		x := hi
		n--
		y := p[n]
		hi = x + y
		yr := hi - x
		lo = y - yr
		if lo != 0 {
			break
		}
	}
	// Round half to even: when the rest of the partials push lo past the
	// half-way point the sum of hi and lo would round the wrong way.
	if n > 0 && ((lo < 0 && p[n-1] < 0) || (lo > 0 && p[n-1] > 0)) {
		y := lo * 2
		x := hi + y
		if yr := x - hi; y == yr {
			hi = x
		}
	}
	return hi
}

// MarshalJSON writes the partials as decimal strings that round-trip
// exactly ("NaN" and "+Inf" included, which JSON numbers cannot hold).
func (s exactSum) MarshalJSON() ([]byte, error) {
	out := make([]string, 0, len(s.partials)+1)
	for _, p := range s.partials {
		out = append(out, strconv.FormatFloat(p, 'g', -1, 64))
	}
	if s.hasSpecial {
		out = append(out, strconv.FormatFloat(s.special, 'g', -1, 64))
	}
	return json.Marshal(out)
}

func (s *exactSum) UnmarshalJSON(b []byte) error {
	var in []string
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*s = exactSum{}
	for _, v := range in {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return err
		}
		s.add(f)
	}
	return nil
}
