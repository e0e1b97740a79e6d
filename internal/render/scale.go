package render

import (
	"image/color"
	"math"
	"strconv"

	"github.com/retention-dev/retention-operator/internal/report"
)

// blues is ColorBrewer's 9-class sequential Blues ramp, light to dark: a
// single hue reads as "more" without a legend and survives colour blindness.
var blues = []color.RGBA{
	{0xf7, 0xfb, 0xff, 0xff}, {0xde, 0xeb, 0xf7, 0xff}, {0xc6, 0xdb, 0xef, 0xff},
	{0x9e, 0xca, 0xe1, 0xff}, {0x6b, 0xae, 0xd6, 0xff}, {0x42, 0x92, 0xc6, 0xff},
	{0x21, 0x71, 0xb5, 0xff}, {0x08, 0x51, 0x9c, 0xff}, {0x08, 0x30, 0x6b, 0xff},
}

// NoData is the colour of cells not observed yet (the future of young cohorts).
var NoData = color.RGBA{0xee, 0xee, 0xee, 0xff}

// Scale maps a retention percentage to a colour. Month 0 is 100% by
// definition (every customer ordered in their first month), so the scale
// runs from 0 to the highest value of the later months rounded up to a
// whole number of Steps, Max; values above Max (month 0) take the darkest
// colour. Without this, every later cell would be nearly white next to the
// 100% column. Every picture (terminal, PNG, HTML, the curve's axis) labels
// the scale at Ticks, so they agree and read as round numbers.
type Scale struct {
	Max  float64
	Step float64
}

// tickSteps are the round tick spacings, in percentage points.
var tickSteps = []float64{1, 2, 5, 10, 20, 25}

// maxTicks bounds the number of intervals between 0 and Max.
const maxTicks = 5

// NewScale picks the scale for a matrix from the largest value outside
// month 0 (at least 5%, at most 100%): Step is the smallest round spacing
// that covers it in at most five intervals, and Max that value rounded up to
// a multiple of Step. 45% gives 0, 10, ... 50; 12% gives 0, 5, 10, 15.
func NewScale(c *report.Cohorts) Scale {
	m := 0.0
	if c != nil {
		for i, row := range c.Rows {
			for k := 1; k < len(row); k++ {
				if Observed(c, i, k) {
					m = math.Max(m, row[k])
				}
			}
		}
	}
	return scaleFor(m)
}

// scaleFor is the round scale that holds m (see NewScale).
func scaleFor(m float64) Scale {
	m = math.Min(math.Max(m, 5), 100)
	for _, step := range tickSteps {
		if top := math.Ceil(m/step) * step; top/step <= maxTicks {
			return Scale{Max: math.Min(top, 100), Step: step}
		}
	}
	return Scale{Max: 100, Step: 25}
}

// Ticks are 0, Step, 2·Step, ... Max: where every legend and axis is labelled.
func (s Scale) Ticks() []float64 {
	if s.Step <= 0 {
		return []float64{0, s.Max}
	}
	var t []float64
	for v := 0.0; v <= s.Max+1e-9; v += s.Step {
		t = append(t, v)
	}
	return t
}

// TickLabel is a tick as printed: "10%", and "50%+" for Max below 100
// (month 0 and anything above Max share its colour).
func (s Scale) TickLabel(v float64) string {
	label := strconv.FormatFloat(v, 'f', -1, 64) + "%"
	if v >= s.Max && s.Max < 100 {
		label += "+"
	}
	return label
}

// Fraction is v's position on the scale, 0..1:  f = clamp(v / Max, 0, 1).
func (s Scale) Fraction(v float64) float64 {
	if s.Max <= 0 || math.IsNaN(v) {
		return 0
	}
	return math.Max(0, math.Min(1, v/s.Max))
}

// Color interpolates linearly between the ramp's neighbouring stops.
func (s Scale) Color(v float64) color.RGBA {
	f := s.Fraction(v) * float64(len(blues)-1)
	i := int(f)
	if i >= len(blues)-1 {
		return blues[len(blues)-1]
	}
	t := f - float64(i)
	a, b := blues[i], blues[i+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + t*(float64(y)-float64(x)))) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// TextColor is black or white, whichever reads better on bg (relative
// luminance L = 0.2126 R + 0.7152 G + 0.0722 B, threshold 0.5).
func TextColor(bg color.RGBA) color.RGBA {
	l := (0.2126*float64(bg.R) + 0.7152*float64(bg.G) + 0.0722*float64(bg.B)) / 255
	if l < 0.5 {
		return color.RGBA{0xff, 0xff, 0xff, 0xff}
	}
	return color.RGBA{0x11, 0x11, 0x11, 0xff}
}

// Observed reports whether cell (i, k) holds a value: row i may be shorter
// than the widest row (young cohorts have fewer months behind them), and a
// cohort of size 0 holds no value at all: its 0% would be indistinguishable
// from customers who really did not come back.
func Observed(c *report.Cohorts, i, k int) bool {
	return i < len(c.Rows) && k < len(c.Rows[i]) && !math.IsNaN(c.Rows[i][k]) && !Empty(c, i)
}

// Empty reports whether cohort i has no customers (a size of 0).
func Empty(c *report.Cohorts, i int) bool {
	return len(c.Sizes) == len(c.Rows) && i < len(c.Sizes) && c.Sizes[i] == 0
}

// Months is the number of columns: the longest row.
func Months(c *report.Cohorts) int {
	n := 0
	for _, r := range c.Rows {
		n = max(n, len(r))
	}
	return n
}

// RetentionCurve is the average retention k months after the first order,
// weighted by cohort size over the cohorts that have reached month k:
//
//	curve[k] = Σ_i size_i · rows[i][k] / Σ_i size_i   (i with month k observed)
//
// Weighting keeps a tiny cohort from moving the curve as much as a big one.
// When sizes are missing every cohort weighs 1.
func RetentionCurve(c *report.Cohorts) []float64 {
	n := Months(c)
	curve := make([]float64, n)
	for k := 0; k < n; k++ {
		sum, weight := 0.0, 0.0
		for i := range c.Rows {
			if !Observed(c, i, k) {
				continue
			}
			w := 1.0
			if i < len(c.Sizes) && len(c.Sizes) == len(c.Rows) {
				w = float64(c.Sizes[i])
			}
			sum += w * c.Rows[i][k]
			weight += w
		}
		if weight > 0 {
			curve[k] = sum / weight
		} else {
			curve[k] = math.NaN()
		}
	}
	return curve
}
