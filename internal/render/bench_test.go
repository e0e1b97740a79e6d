package render

import (
	"io"
	"testing"
)

// BenchmarkHeatmapPNG24 draws and encodes a 24-cohort heatmap.
func BenchmarkHeatmapPNG24(b *testing.B) {
	c := cohortFixture(24)
	for b.Loop() {
		if err := WritePNG(io.Discard, c, Caption{Segment: "shop/bench"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTextHeatmap24 renders the terminal heatmap of 24 cohorts.
func BenchmarkTextHeatmap24(b *testing.B) {
	c := cohortFixture(24)
	for b.Loop() {
		if err := TextHeatmap(io.Discard, c, TextOptions{Width: 100, Color: true}); err != nil {
			b.Fatal(err)
		}
	}
}
