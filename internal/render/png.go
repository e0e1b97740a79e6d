package render

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/retention-dev/retention-operator/internal/report"
)

var (
	white = color.RGBA{0xff, 0xff, 0xff, 0xff}
	ink   = color.RGBA{0x22, 0x22, 0x22, 0xff}
	grey  = color.RGBA{0x66, 0x66, 0x66, 0xff}
)

// HeatmapImage draws the cohort matrix as a readable image: a title naming
// the segment and the metric run, one row per cohort labelled with its
// first-order month and size, one column per month since first order
// (numbered on top, named below), each cell coloured by Scale and printed
// with its value, and a colour bar legend with round tick labels and a
// "no data" swatch. An empty cohort (size 0) is a grey row reading "no data".
func HeatmapImage(c *report.Cohorts, caption Caption) (*image.RGBA, Layout, error) {
	if c == nil || len(c.Rows) == 0 {
		return nil, Layout{}, fmt.Errorf("no cohort data to draw")
	}
	l := NewLayout(c, caption)
	scale := NewScale(c)
	img := image.NewRGBA(image.Rectangle{Max: l.Size})
	draw.Draw(img, img.Bounds(), &image.Uniform{white}, image.Point{}, draw.Src)

	for n, line := range l.TitleLines {
		text(img, l.Title.Min.X, l.Title.Min.Y+n*titleLineH, line, ink)
	}
	// Column headers: months since first order.
	hy := l.Grid.Min.Y - glyphH - 4
	text(img, margin, hy, "cohort", grey)
	text(img, margin+l.labelW+l.sizeW-10-len("customers")*glyphW, hy, "customers", grey)
	for k := 0; k < l.cols; k++ {
		r := l.Cell(0, k)
		s := strconv.Itoa(k)
		text(img, r.Min.X+(r.Dx()-len(s)*glyphW)/2, hy, s, grey)
	}
	for i := 0; i < l.rows; i++ {
		r := l.Cell(i, 0)
		ty := r.Min.Y + (cellH-glyphH)/2
		if i < len(c.Labels) {
			text(img, margin, ty, c.Labels[i], ink)
		}
		if i < len(c.Sizes) {
			s := strconv.FormatInt(c.Sizes[i], 10)
			text(img, margin+l.labelW+l.sizeW-10-len(s)*glyphW, ty, s, ink)
		}
		for k := 0; k < l.cols; k++ {
			cr := l.Cell(i, k)
			if !Observed(c, i, k) {
				fill(img, cr, NoData)
				continue
			}
			v := c.Rows[i][k]
			bg := scale.Color(v)
			fill(img, cr, bg)
			s := cellText(v)
			text(img, cr.Min.X+(cr.Dx()-len(s)*glyphW)/2, cr.Min.Y+(cr.Dy()-glyphH)/2, s, TextColor(bg))
		}
		if Empty(c, i) {
			label := noDataLabel
			if len(label)*glyphW > l.Row(i).Dx() {
				label = "-"
			}
			text(img, l.Grid.Min.X+4, ty, label, grey)
		}
	}
	text(img, l.XAxisLabel.Min.X, l.XAxisLabel.Min.Y, xAxisLabel, ink)

	// Legend: caption, bar from Max (top) to 0 (bottom), a tick at each of
	// the scale's round values.
	text(img, l.Legend.Min.X, l.Legend.Min.Y-glyphH-12, "retention", ink)
	for y := l.Legend.Min.Y; y < l.Legend.Max.Y; y++ {
		f := 1 - float64(y-l.Legend.Min.Y)/float64(l.Legend.Dy()-1)
		fill(img, image.Rect(l.Legend.Min.X, y, l.Legend.Max.X, y+1), scale.Color(f*scale.Max))
	}
	for _, v := range scale.Ticks() {
		y := l.Legend.Max.Y - 1 - int(math.Round(scale.Fraction(v)*float64(l.Legend.Dy()-1)))
		fill(img, image.Rect(l.Legend.Max.X, y, l.Legend.Max.X+4, y+1), ink)
		text(img, l.Legend.Max.X+6, y-glyphH/2, scale.TickLabel(v), ink)
	}
	fill(img, l.NoDataSwatch, NoData)
	text(img, l.NoDataSwatch.Max.X+6, l.NoDataSwatch.Min.Y+(l.NoDataSwatch.Dy()-glyphH)/2, noDataLabel, ink)
	return img, l, nil
}

// noDataLabel marks cells and cohorts without a value, in every picture.
const noDataLabel = "no data"

// WritePNG encodes the heatmap.
func WritePNG(w io.Writer, c *report.Cohorts, caption Caption) error {
	img, _, err := HeatmapImage(c, caption)
	if err != nil {
		return err
	}
	return png.Encode(w, img)
}

// cellText is the value as printed in a cell: whole percent at 100 (it
// would not fit with a decimal), one decimal below.
func cellText(v float64) string {
	if v >= 99.95 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	draw.Draw(img, r, &image.Uniform{c}, image.Point{}, draw.Src)
}

// text draws s with its top-left corner at (x, y).
func text(img *image.RGBA, x, y int, s string, c color.RGBA) {
	face := basicfont.Face7x13
	d := font.Drawer{Dst: img, Src: &image.Uniform{c}, Face: face,
		Dot: fixed.P(x, y+face.Ascent)}
	d.DrawString(s)
}
