package render

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/retention-dev/retention-operator/internal/report"
)

// shades are the plain-text cell glyphs, lightest to darkest.
var shades = []rune{'·', '░', '▒', '▓', '█'}

// TextOptions control terminal output.
type TextOptions struct {
	// Width is the maximum line width in columns (100 when 0).
	Width int
	// Color uses 24-bit ANSI colours (with the values printed in the cells);
	// without it cells are shade glyphs, which also survive copy and paste.
	Color bool
}

func (o TextOptions) width() int {
	if o.Width <= 0 {
		return 100
	}
	return o.Width
}

// TextHeatmap writes the cohort matrix as one line per cohort: label, size,
// then one cell per month since first order, sized so the line fits
// o.Width. Months that do not fit even at one column each are cut off and
// said so.
func TextHeatmap(w io.Writer, c *report.Cohorts, o TextOptions) error {
	if c == nil || len(c.Rows) == 0 {
		_, err := fmt.Fprintln(w, "no cohort data yet")
		return err
	}
	scale := NewScale(c)
	labelW := len("cohort")
	for _, l := range c.Labels {
		labelW = max(labelW, runeLen(l))
	}
	sizeW := len("size")
	for _, s := range c.Sizes {
		sizeW = max(sizeW, len(strconv.FormatInt(s, 10)))
	}
	prefix := labelW + 1 + sizeW + 1
	months := Months(c)
	avail := o.width() - prefix
	cw := min(4, avail/max(months, 1))
	shown := months
	if cw < 1 {
		cw, shown = 1, avail
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s %*s ", labelW, "cohort", sizeW, "size")
	pad := 0
	if !o.Color && cw >= 2 {
		pad = 1 // plain cells end in a gap: align numbers over the glyphs
	}
	b.WriteString(monthHeader(shown, cw, pad))
	b.WriteByte('\n')
	for i, row := range c.Rows {
		label := ""
		if i < len(c.Labels) {
			label = c.Labels[i]
		}
		size := ""
		if i < len(c.Sizes) {
			size = strconv.FormatInt(c.Sizes[i], 10)
		}
		fmt.Fprintf(&b, "%-*s %*s ", labelW, label, sizeW, size)
		if Empty(c, i) {
			b.WriteString(noDataLabel + " (no customers)\n")
			continue
		}
		for k := 0; k < shown; k++ {
			if !Observed(c, i, k) {
				b.WriteString(strings.Repeat(" ", cw))
				continue
			}
			b.WriteString(cell(row[k], scale, cw, o.Color))
		}
		b.WriteByte('\n')
	}
	b.WriteString(legend(scale, o.Color))
	if shown < months {
		fmt.Fprintf(&b, "(months %d-%d not shown: wider terminal or --html/--png for the full matrix)\n", shown, months-1)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// monthHeader labels columns with months since first order, every column
// when the numbers fit, otherwise every few columns.
// pad is how many columns at the right of each cell are a gap.
func monthHeader(n, cw, pad int) string {
	line := []rune(strings.Repeat(" ", n*cw))
	step := 1
	for step*cw < 3 {
		step++
	}
	for k := 0; k < n; k += step {
		s := strconv.Itoa(k)
		end := k*cw + cw - pad // right-align the number over the cell
		if cw*step < len(s)+1 {
			continue
		}
		start := end - len(s)
		if cw < len(s) {
			start = k * cw
		}
		if start < 0 || start+len(s) > len(line) {
			continue
		}
		copy(line[start:], []rune(s))
	}
	return strings.TrimRight(string(line), " ")
}

// shadeOf is the plain-text glyph for v: the scale's tick intervals
// [0, Step), [Step, 2·Step), ... take glyphs from lightest up, the last one
// open-ended ([Max-Step, ∞) is the darkest, month 0 included), spread over
// the five shades when there are fewer intervals.
func shadeOf(v float64, s Scale) rune {
	n := len(s.Ticks()) - 1 // intervals
	i := 0
	if s.Step > 0 {
		i = min(n-1, max(0, int(math.Floor(v/s.Step))))
	}
	return shades[shadeIndex(i, n)]
}

func shadeIndex(interval, intervals int) int {
	if intervals <= 1 {
		return len(shades) - 1
	}
	return int(math.Round(float64(interval) * float64(len(shades)-1) / float64(intervals-1)))
}

// cell renders one value cw columns wide.
func cell(v float64, s Scale, cw int, color bool) string {
	if !color {
		g := shadeOf(v, s)
		if cw == 1 {
			return string(g)
		}
		return strings.Repeat(string(g), cw-1) + " "
	}
	bg := s.Color(v)
	fg := TextColor(bg)
	text := strconv.Itoa(int(math.Round(v)))
	if len(text) > cw {
		text = ""
	}
	return fmt.Sprintf("\x1b[48;2;%d;%d;%dm\x1b[38;2;%d;%d;%dm%*s\x1b[0m", bg.R, bg.G, bg.B, fg.R, fg.G, fg.B, cw, text)
}

// legend explains the cell colours or glyphs at the scale's round ticks.
func legend(s Scale, color bool) string {
	var b strings.Builder
	b.WriteString("retention: ")
	ticks := s.Ticks()
	if color {
		b.WriteString(s.TickLabel(0) + " ")
		for i := 0; i <= 20; i++ {
			c := s.Color(s.Max * float64(i) / 20)
			fmt.Fprintf(&b, "\x1b[48;2;%d;%d;%dm \x1b[0m", c.R, c.G, c.B)
		}
		b.WriteString(" " + s.TickLabel(s.Max))
	} else {
		n := len(ticks) - 1
		for i := 0; i < n; i++ {
			g := shades[shadeIndex(i, n)]
			switch {
			case i == n-1:
				fmt.Fprintf(&b, "%c >=%g%%", g, ticks[i])
			case i == 0:
				fmt.Fprintf(&b, "%c <%g%%  ", g, ticks[1])
			default:
				fmt.Fprintf(&b, "%c %g-%g%%  ", g, ticks[i], ticks[i+1])
			}
		}
	}
	b.WriteString("   (blank: no data yet)")
	b.WriteString("\nrows: cohort (month of first order), size; columns: months since first order\n")
	return b.String()
}

func runeLen(s string) int { return len([]rune(s)) }
