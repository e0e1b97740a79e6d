package render

import (
	"bytes"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/retention-dev/retention-operator/internal/report"
)

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// visibleWidth is a line's width on a terminal: runes without ANSI codes.
func visibleWidth(line string) int {
	return utf8.RuneCountInString(ansi.ReplaceAllString(line, ""))
}

// textLines is what write prints, split into lines.
func textLines(t *testing.T, write func(io.Writer) error) []string {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		t.Fatal(err)
	}
	return strings.Split(buf.String(), "\n")
}

// wantLines checks that lines begin with want, trailing spaces aside.
func wantLines(t *testing.T, lines []string, want ...string) {
	t.Helper()
	for i, w := range want {
		if strings.TrimRight(lines[i], " ") != w {
			t.Errorf("line %d = %q, want %q", i, lines[i], w)
		}
	}
}

func TestTextHeatmapFits100Columns(t *testing.T) {
	for _, n := range []int{1, 3, 24, 36, 120} {
		for _, color := range []bool{false, true} {
			var buf bytes.Buffer
			if err := TextHeatmap(&buf, cohortFixture(n), TextOptions{Width: 100, Color: color}); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
			for _, l := range lines {
				if w := visibleWidth(l); w > 100 {
					t.Errorf("n=%d color=%v: line is %d columns: %q", n, color, w, l)
				}
			}
			// header + one line per cohort + legend (2 lines) (+ a cut-off note for 120)
			if want := n + 3; len(lines) < want {
				t.Errorf("n=%d: %d lines, want at least %d", n, len(lines), want)
			}
			if n == 24 && !color {
				t.Logf("24 cohorts, color=%v:\n%s", color, buf.String())
			}
		}
	}
}

func TestTextHeatmapCells(t *testing.T) {
	c := &report.Cohorts{Labels: []string{"2025-01", "2025-02"}, Sizes: []int64{10, 20},
		Rows: [][]float64{{100, 20, 10}, {100, 5}}}
	lines := textLines(t, func(w io.Writer) error { return TextHeatmap(w, c, TextOptions{Width: 100}) })
	// Scale max is 20 (largest after month 0), ticks every 5: four intervals
	// <5, 5-10, 10-15, >=15 take shades 0, 1, 3 and 4 of five.
	// 100 -> █, 20 -> █, 10 -> ▓, 5 -> ░.
	wantLines(t, lines,
		"cohort  size   0   1   2",
		"2025-01   10 ███ ███ ▓▓▓",
		"2025-02   20 ███ ░░░",
	)
	if !strings.Contains(lines[3], "· <5%  ░ 5-10%  ▓ 10-15%  █ >=15%") {
		t.Errorf("legend %q should name the round intervals of the scale (max 20, ticks every 5)", lines[3])
	}
}

func TestRetentionCurveWeightsBySize(t *testing.T) {
	c := &report.Cohorts{Sizes: []int64{100, 300}, Rows: [][]float64{{100, 40, 20}, {100, 20}}}
	got := RetentionCurve(c)
	// month 1: (100·40 + 300·20) / 400 = 25; month 2: only the first cohort = 20.
	want := []float64{100, 25, 20}
	for k := range want {
		if math.Abs(got[k]-want[k]) > 1e-9 {
			t.Errorf("curve[%d] = %v, want %v", k, got[k], want[k])
		}
	}
}

func TestTextCurve(t *testing.T) {
	// The heatmap's scale for a largest value of 40: top 40, ticks every 10;
	// height 4: one row per tick = 10%, 8 eighths = 10%.
	scale := NewScale(&report.Cohorts{Rows: [][]float64{{100, 40}}})
	lines := textLines(t, func(w io.Writer) error {
		return TextCurve(w, []float64{100, 40, 25, 10, 5}, 4, scale, TextOptions{Width: 100})
	})
	wantLines(t, lines,
		"average retention by months since first order (weighted by cohort size)",
		"  40%|^^ ██",
		"  30%|██ ██ ▄▄",
		"  20%|██ ██ ██",
		"  10%|██ ██ ██ ██ ▄▄",
		"   0%+---------------",
	)
	for _, l := range lines {
		if visibleWidth(l) > 100 {
			t.Errorf("line too wide: %q", l)
		}
	}
	t.Logf("\n%s", strings.Join(lines, "\n"))
}

// TestTextCurveTopsAtTheHeatmapLegend: with a largest cell of 45% the
// heatmap legend ends at 50%+ and the curve's axis tops at 50%, not 40%.
func TestTextCurveTopsAtTheHeatmapLegend(t *testing.T) {
	c := &report.Cohorts{Sizes: []int64{100, 100}, Rows: [][]float64{{100, 45, 30}, {100, 20}}}
	var heat, curve bytes.Buffer
	if err := TextHeatmap(&heat, c, TextOptions{Width: 100}); err != nil {
		t.Fatal(err)
	}
	if err := TextCurve(&curve, RetentionCurve(c), 10, NewScale(c), TextOptions{Width: 100}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(heat.String(), "█ >=40%") {
		t.Errorf("heatmap legend:\n%s\nwant its last interval from 40%% (scale 0-50)", heat.String())
	}
	lines := strings.Split(curve.String(), "\n")
	if !strings.HasPrefix(lines[1], "  50%|") {
		t.Errorf("curve axis tops at %q, want 50%% like the heatmap's scale", lines[1])
	}
	for _, l := range lines {
		if label := strings.TrimSpace(strings.SplitN(l, "|", 2)[0]); strings.HasSuffix(label, "%") && strings.Contains(label, ".") {
			t.Errorf("axis label %q is not a whole percent", label)
		}
	}
	t.Logf("\n%s\n%s", heat.String(), curve.String())
}

// TestTextHeatmapEmptyCohortIsNoData: a cohort of size 0 reads "no data",
// not a row of 0% shades.
func TestTextHeatmapEmptyCohortIsNoData(t *testing.T) {
	c := &report.Cohorts{Labels: []string{"2025-01", "2025-02"}, Sizes: []int64{10, 0},
		Rows: [][]float64{{100, 20, 10}, {0, 0}}}
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		if err := TextHeatmap(&buf, c, TextOptions{Width: 100, Color: color}); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(buf.String(), "\n")
		if got, want := lines[2], "2025-02    0 no data (no customers)"; got != want {
			t.Errorf("color=%v: empty cohort line %q, want %q", color, got, want)
		}
	}
}
