package render

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"testing"

	"github.com/retention-dev/retention-operator/internal/report"
)

func rgba(img image.Image, x, y int) color.RGBA {
	r, g, b, a := img.At(x, y).RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
}

func TestHeatmapPNG(t *testing.T) {
	// Three cohorts; scale max is 40 (largest value after month 0).
	c := &report.Cohorts{
		Labels: []string{"2025-01", "2025-02", "2025-03"},
		Sizes:  []int64{120, 80, 95},
		Rows:   [][]float64{{100, 40, 20}, {100, 10}, {100}},
	}
	var buf bytes.Buffer
	if err := WritePNG(&buf, c); err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("RENDER_PNG_OUT"); out != "" { // to look at it
		_ = os.WriteFile(out, buf.Bytes(), 0o644)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLayout(c)
	if img.Bounds().Size() != l.Size {
		t.Fatalf("image is %v, layout says %v", img.Bounds().Size(), l.Size)
	}
	// Width: margins 16+16, labels (7 chars·7+10=59), sizes (9·7+10=73),
	// 3 cells·36, legend 28+16+6+"100%+"·7, and the title is wider still.
	if l.Size.X != 16+len(heatmapTitle)*7+16 {
		t.Errorf("width %d, want the title's %d", l.Size.X, 16+len(heatmapTitle)*7+16)
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
	if err := WritePNG(&buf, cohortFixture(24)); err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("RENDER_PNG_OUT24"); out != "" {
		_ = os.WriteFile(out, buf.Bytes(), 0o644)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLayout(cohortFixture(24))
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
