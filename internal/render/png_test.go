package render

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/report"
)

func rgba(img image.Image, x, y int) color.RGBA {
	r, g, b, a := img.At(x, y).RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
}

// firstQuarter is three monthly cohorts, 2025-01 to 2025-03.
func firstQuarter(sizes []int64, rows ...[]float64) *report.Cohorts {
	return &report.Cohorts{Labels: []string{"2025-01", "2025-02", "2025-03"}, Sizes: sizes, Rows: rows}
}

func TestHeatmapPNG(t *testing.T) {
	// Three cohorts; scale max is 40 (largest value after month 0).
	c := firstQuarter([]int64{120, 80, 95}, []float64{100, 40, 20}, []float64{100, 10}, []float64{100})
	var buf bytes.Buffer
	if err := WritePNG(&buf, c, testCaption); err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("RENDER_PNG_OUT"); out != "" { // to look at it
		_ = os.WriteFile(out, buf.Bytes(), 0o644)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLayout(c, testCaption)
	if img.Bounds().Size() != l.Size {
		t.Fatalf("image is %v, layout says %v", img.Bounds().Size(), l.Size)
	}
	// Width: margins 16+16, labels (7 chars·7+10=59), sizes (9·7+10=73),
	// 3 cells·36, the axis label (24·7=168) from the grid's left edge, the
	// legend 28+16+6+"no data"·7: 16+132+168+28+16+6+49+16 = 431, which
	// the title (48 characters at least, 16+336+16) does not widen.
	if l.Size.X != 431 {
		t.Errorf("width %d, want 431", l.Size.X)
	}
	if l.Grid.Dx() != 3*36 || l.Grid.Dy() != 3*20 {
		t.Errorf("grid %v, want 108x60", l.Grid)
	}
	darkest := blues[len(blues)-1]
	corner := func(i, k int) color.RGBA { r := l.Cell(i, k); return rgba(img, r.Min.X+1, r.Min.Y+1) }
	for _, tc := range []struct {
		i, k int
		want color.RGBA
	}{
		{0, 0, darkest}, // 100% is above the scale: darkest
		{0, 1, darkest}, // 40% = max
		{0, 2, color.RGBA{0x6b, 0xae, 0xd6, 0xff}}, // 20% = half way = stop 4 of 0..8
		{1, 1, color.RGBA{0xc6, 0xdb, 0xef, 0xff}}, // 10% = quarter = stop 2
		{1, 2, NoData}, // not observed
		{2, 1, NoData},
	} {
		if got := corner(tc.i, tc.k); got != tc.want {
			t.Errorf("cell (%d,%d) corner = %v, want %v", tc.i, tc.k, got, tc.want)
		}
	}
	// The value is printed in the cell: some pixels in the middle of cell
	// (0,0) are white text on the dark background.
	if n := countColor(img, l.Cell(0, 0), color.RGBA{0xff, 0xff, 0xff, 0xff}); n < 10 {
		t.Errorf("cell (0,0) has %d white text pixels, want the printed value", n)
	}
	// Legend: darkest at the top of the bar, lightest at the bottom,
	// tick labels to its right, the no-data swatch below.
	if got := rgba(img, l.Legend.Min.X+2, l.Legend.Min.Y); got != darkest {
		t.Errorf("legend top = %v, want %v", got, darkest)
	}
	if got := rgba(img, l.Legend.Min.X+2, l.Legend.Max.Y-1); got != blues[0] {
		t.Errorf("legend bottom = %v, want %v", got, blues[0])
	}
	labels := image.Rect(l.Legend.Max.X+6, l.Legend.Min.Y-8, l.Legend.Max.X+6+5*7, l.Legend.Max.Y+8)
	if n := countColor(img, labels, ink); n < 50 {
		t.Errorf("legend tick labels: %d ink pixels, want text", n)
	}
	if got := rgba(img, l.NoDataSwatch.Min.X+2, l.NoDataSwatch.Min.Y+2); got != NoData {
		t.Errorf("no-data swatch = %v", got)
	}
	for name, r := range map[string]image.Rectangle{"title": l.Title, "x axis label": l.XAxisLabel} {
		if n := countColor(img, r, ink); n < 100 {
			t.Errorf("%s: %d ink pixels, want text", name, n)
		}
	}
}

func TestHeatmapPNG24Cohorts(t *testing.T) {
	var buf bytes.Buffer
	if err := WritePNG(&buf, cohortFixture(24), testCaption); err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("RENDER_PNG_OUT24"); out != "" {
		_ = os.WriteFile(out, buf.Bytes(), 0o644)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLayout(cohortFixture(24), testCaption)
	if img.Bounds().Size() != l.Size || l.Grid.Dx() != 24*36 || l.Grid.Dy() != 24*20 {
		t.Fatalf("size %v grid %v", img.Bounds().Size(), l.Grid)
	}
}

func countColor(img image.Image, r image.Rectangle, c color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if rgba(img, x, y) == c {
				n++
			}
		}
	}
	return n
}

// testCaption is a segment and a metric run time as the report command passes them.
var testCaption = Caption{Segment: "shop/active-customers", AsOf: time.Date(2026, 11, 30, 14, 5, 0, 0, time.UTC)}

// TestHeatmapPNGTitleNamesSegmentAndDateWithinTheEdge: the title says which
// segment and which metric run, and every line fits inside the image's
// margins, for a small matrix and for a segment name longer than a line.
func TestHeatmapPNGTitleNamesSegmentAndDateWithinTheEdge(t *testing.T) {
	long := Caption{Segment: "a-namespace-with-a-long-name/" + strings.Repeat("segment", 12), AsOf: testCaption.AsOf}
	for _, caption := range []Caption{testCaption, long} {
		c := &report.Cohorts{Labels: []string{"2025-01"}, Sizes: []int64{10}, Rows: [][]float64{{100, 30}}}
		img, l, err := HeatmapImage(c, caption)
		if err != nil {
			t.Fatal(err)
		}
		title := strings.Join(l.TitleLines, "")
		for _, want := range []string{caption.Segment, "2026-11-30 14:05 UTC"} {
			if !strings.Contains(strings.ReplaceAll(title, " ", ""), strings.ReplaceAll(want, " ", "")) {
				t.Errorf("title %q does not name %q", l.TitleLines, want)
			}
		}
		for _, line := range l.TitleLines {
			if right := margin + len(line)*glyphW; right > l.Size.X-margin {
				t.Errorf("title line %q ends at x=%d, past the right margin of a %d px image", line, right, l.Size.X)
			}
		}
		// Every title line is drawn: ink in each line's band.
		for n := range l.TitleLines {
			band := image.Rect(l.Title.Min.X, l.Title.Min.Y+n*titleLineH, l.Title.Max.X, l.Title.Min.Y+(n+1)*titleLineH)
			if countColor(img, band, ink) < 20 {
				t.Errorf("title line %d (%q) is not drawn", n, l.TitleLines[n])
			}
		}
	}
}

// TestHeatmapPNGEmptyCohortIsNoData: a cohort of size 0 is a grey row with
// "no data" written on it, not a row of 0.0 cells coloured as 0%.
func TestHeatmapPNGEmptyCohortIsNoData(t *testing.T) {
	c := firstQuarter([]int64{120, 0, 95}, []float64{100, 40, 20, 10}, []float64{0, 0, 0}, []float64{100, 0})
	img, l, err := HeatmapImage(c, testCaption)
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 4; k++ {
		r := l.Cell(1, k)
		if got := rgba(img, r.Max.X-2, r.Min.Y+1); got != NoData {
			t.Errorf("empty cohort, month %d: corner %v, want the no-data grey %v", k, got, NoData)
		}
	}
	if n := countColor(img, l.Row(1), grey); n < 40 {
		t.Errorf("empty cohort row has %d grey text pixels, want \"no data\" written on it", n)
	}
	// A real 0% (cohort 3, month 1) keeps the lightest blue and its value.
	r := l.Cell(2, 1)
	if got := rgba(img, r.Min.X+1, r.Min.Y+1); got != blues[0] {
		t.Errorf("real 0%%: corner %v, want %v", got, blues[0])
	}
}

// TestScaleTicksAreRound: legend ticks are whole round numbers for every
// largest value, never 11.25% or 33.75%; the scale holds the largest value.
func TestScaleTicksAreRound(t *testing.T) {
	for _, tc := range []struct {
		largest   float64
		max, step float64
	}{{45, 50, 10}, {40, 40, 10}, {12, 15, 5}, {3, 5, 1}, {21, 25, 5}, {51, 60, 20}, {95, 100, 20}, {100, 100, 20}} {
		c := &report.Cohorts{Rows: [][]float64{{100, tc.largest}}}
		s := NewScale(c)
		if s.Max != tc.max || s.Step != tc.step {
			t.Errorf("largest %v: scale max %v step %v, want %v step %v", tc.largest, s.Max, s.Step, tc.max, tc.step)
		}
		ticks := s.Ticks()
		if len(ticks) < 4 || len(ticks) > 6 || ticks[0] != 0 || ticks[len(ticks)-1] != s.Max {
			t.Errorf("largest %v: ticks %v, want 3 to 5 intervals from 0 to %v", tc.largest, ticks, s.Max)
		}
		for _, v := range ticks {
			if v != math.Trunc(v) {
				t.Errorf("largest %v: tick %v is not a whole percent", tc.largest, v)
			}
		}
	}
}
