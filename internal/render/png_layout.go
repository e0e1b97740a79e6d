package render

import (
	"image"

	"github.com/retention-dev/retention-operator/internal/report"
)

// Geometry of the PNG heatmap, in pixels. The font is basicfont's 7x13.
const (
	glyphW    = 7
	glyphH    = 13
	margin    = 16
	cellW     = 36
	cellH     = 20
	legendBar = 16 // width of the colour bar
)

// titleLineH is the height of one title line (glyph plus leading).
const titleLineH = glyphH + 4

// Layout places every part of the PNG heatmap. Tests use it to find cells
// and the legend in a decoded image.
type Layout struct {
	Size image.Point
	// Title is the box of the title lines (TitleLines, wrapped to fit the
	// picture's width so none runs off the edge).
	Title      image.Rectangle
	TitleLines []string
	// Grid is the box of all cells; cell (i, k) is Cell(i, k).
	Grid image.Rectangle
	// Legend is the colour bar (value Max at the top, 0 at the bottom).
	Legend image.Rectangle
	// NoDataSwatch is the legend's sample of the "no data" colour.
	NoDataSwatch image.Rectangle
	// XAxisLabel and the row-label column.
	XAxisLabel image.Rectangle
	labelW     int
	sizeW      int
	rows, cols int
}

// Cell is the box of cohort i, month k.
func (l Layout) Cell(i, k int) image.Rectangle {
	x := l.Grid.Min.X + k*cellW
	y := l.Grid.Min.Y + i*cellH
	return image.Rect(x, y, x+cellW-1, y+cellH-1) // 1px white gap between cells
}

// Row is the box of all of cohort i's cells.
func (l Layout) Row(i int) image.Rectangle {
	return image.Rect(l.Grid.Min.X, l.Grid.Min.Y+i*cellH, l.Grid.Max.X-1, l.Grid.Min.Y+(i+1)*cellH-1)
}

// NewLayout sizes the image for a matrix. The width comes from the grid and
// the legend; the title is wrapped to that width (at least minTitleChars).
func NewLayout(c *report.Cohorts, caption Caption) Layout {
	l := Layout{rows: len(c.Rows), cols: Months(c)}
	labelChars := len("cohort")
	for _, s := range c.Labels {
		labelChars = max(labelChars, len(s))
	}
	sizeChars := len("customers")
	l.labelW = labelChars*glyphW + 10
	l.sizeW = sizeChars*glyphW + 10
	// Horizontal: label and size columns, the grid, the axis label centred
	// under the grid (or from its left edge when the grid is narrower), the
	// legend right of both.
	gx := margin + l.labelW + l.sizeW
	gridW := l.cols * cellW
	xl := len(xAxisLabel) * glyphW
	x0 := gx + max(0, (gridW-xl)/2)
	lx := max(gx+gridW, x0+xl) + 28
	right := max(lx+legendBar+6+len("100%+")*glyphW, lx+legendBar+6+len("no data")*glyphW, margin+minTitleChars*glyphW)
	for _, part := range []string{caption.Heading(), caption.Dated(), cohortExplanation} {
		l.TitleLines = append(l.TitleLines, wrap(part, (right-margin)/glyphW)...)
	}
	// Vertical: title, column header row, grid, axis label; the legend
	// beside the grid under its caption.
	top := margin
	l.Title = image.Rect(margin, top, right, top+len(l.TitleLines)*titleLineH)
	top = l.Title.Max.Y + 12
	top += glyphH + 6 // column header row
	l.Grid = image.Rect(gx, top, gx+gridW, top+l.rows*cellH)
	l.XAxisLabel = image.Rect(x0, l.Grid.Max.Y+8, x0+xl, l.Grid.Max.Y+8+glyphH)
	ly := l.Grid.Min.Y + glyphH + 14
	lh := max(120, min(240, l.Grid.Dy()-glyphH-14-2*cellH))
	l.Legend = image.Rect(lx, ly, lx+legendBar, ly+lh)
	l.NoDataSwatch = image.Rect(lx, l.Legend.Max.Y+14, lx+legendBar, l.Legend.Max.Y+14+cellH-4)
	h := max(l.XAxisLabel.Max.Y, l.NoDataSwatch.Max.Y) + margin
	l.Size = image.Pt(right+margin, h)
	return l
}

// minTitleChars keeps a small matrix's title from wrapping into a column.
const minTitleChars = 48

const xAxisLabel = "months since first order"
