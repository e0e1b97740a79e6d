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

// Layout places every part of the PNG heatmap. Tests use it to find cells
// and the legend in a decoded image.
type Layout struct {
	Size image.Point
	// Title is the title line's box.
	Title image.Rectangle
	// Grid is the box of all cells; cell (i, k) is Cell(i, k).
	Grid image.Rectangle
	// Legend is the colour bar (value Max at the top, 0 at the bottom).
	Legend image.Rectangle
	// NoDataSwatch is the legend's sample of the "not observed yet" colour.
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

// NewLayout sizes the image for a matrix.
func NewLayout(c *report.Cohorts) Layout {
	l := Layout{rows: len(c.Rows), cols: Months(c)}
	labelChars := len("cohort")
	for _, s := range c.Labels {
		labelChars = max(labelChars, len(s))
	}
	sizeChars := len("customers")
	l.labelW = labelChars*glyphW + 10
	l.sizeW = sizeChars*glyphW + 10
	top := margin
	l.Title = image.Rect(margin, top, margin+len(heatmapTitle)*glyphW, top+glyphH)
	top += glyphH + 12
	// column header row ("months since first order" sits below the grid)
	top += glyphH + 6
	gx := margin + l.labelW + l.sizeW
	l.Grid = image.Rect(gx, top, gx+l.cols*cellW, top+l.rows*cellH)
	// The axis label is centred under the grid, or starts at its left edge
	// when the grid is narrower than the label.
	xl := len(xAxisLabel) * glyphW
	x0 := gx + max(0, (l.Grid.Dx()-xl)/2)
	l.XAxisLabel = image.Rect(x0, l.Grid.Max.Y+8, x0+xl, l.Grid.Max.Y+8+glyphH)
	// Legend: a vertical colour bar right of the grid (and of the axis
	// label), under a caption.
	lx := max(l.Grid.Max.X, l.XAxisLabel.Max.X) + 28
	ly := l.Grid.Min.Y + glyphH + 14
	lh := max(120, min(240, l.Grid.Dy()-glyphH-14-2*cellH))
	l.Legend = image.Rect(lx, ly, lx+legendBar, ly+lh)
	l.NoDataSwatch = image.Rect(lx, l.Legend.Max.Y+14, lx+legendBar, l.Legend.Max.Y+14+cellH-4)
	w := max(l.Title.Max.X, l.Legend.Max.X+6+len("100%+")*glyphW, l.NoDataSwatch.Max.X+6+len("no data")*glyphW) + margin
	h := max(l.XAxisLabel.Max.Y, l.NoDataSwatch.Max.Y) + margin
	l.Size = image.Pt(w, h)
	return l
}

const (
	heatmapTitle = "Cohort retention: % of each cohort ordering in month k after their first order"
	xAxisLabel   = "months since first order"
)
