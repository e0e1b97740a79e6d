package render

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// eighths are the partial block glyphs for bar tops, 1/8 to 8/8.
var eighths = []rune{'▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'}

// TextCurve draws the retention curve (see RetentionCurve) as a vertical
// bar chart about height rows tall: x is months since first order, y is
// percent on scale, the heatmap's own (NewScale), so the axis tops at the
// value its legend ends with and is labelled at the same round ticks. The
// height is rounded to a whole number of rows per tick; month 0 (100%) is
// drawn clipped with a ^ on top.
func TextCurve(w io.Writer, curve []float64, height int, scale Scale, o TextOptions) error {
	if len(curve) == 0 {
		_, err := fmt.Fprintln(w, "no retention curve yet")
		return err
	}
	if height <= 0 {
		height = 10
	}
	if scale.Max <= 0 {
		scale = scaleFor(100)
	}
	top := scale.Max
	ticks := len(scale.Ticks()) - 1
	perTick := max(1, (height+ticks/2)/ticks)
	height = perTick * ticks
	const axisW = 6 // "100% |"
	avail := o.width() - axisW
	n := len(curve)
	cw := min(3, avail/n)
	if cw < 1 {
		cw, n = 1, avail
	}
	bar := max(1, cw-1) // leave a gap between bars when there is room
	var b strings.Builder
	fmt.Fprintf(&b, "average retention by months since first order (weighted by cohort size)\n")
	for row := height; row >= 1; row-- {
		// A label names the tick at the top edge of its row: top·row/height.
		label := ""
		if row%perTick == 0 {
			label = strconv.FormatFloat(top*float64(row)/float64(height), 'f', -1, 64) + "%"
		}
		fmt.Fprintf(&b, "%5s|", label)
		for k := 0; k < n; k++ {
			v := curve[k]
			glyph := ' '
			if !math.IsNaN(v) {
				// Bar height in eighths of a row: h = v / top · height · 8.
				h := v / top * float64(height) * 8
				full := float64((row - 1) * 8)
				switch {
				case v > top && row == height:
					glyph = '^'
				case h >= full+8:
					glyph = '█'
				case h > full:
					glyph = eighths[max(0, int(math.Round(h-full))-1)]
				}
			}
			b.WriteString(strings.Repeat(string(glyph), bar))
			b.WriteString(strings.Repeat(" ", cw-bar))
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "%5s+%s\n", "0%", strings.Repeat("-", n*cw))
	b.WriteString(strings.Repeat(" ", axisW) + monthHeader(n, cw, cw-bar) + "\n")
	b.WriteString(strings.Repeat(" ", axisW) + "months since first order\n")
	_, err := io.WriteString(w, b.String())
	return err
}
