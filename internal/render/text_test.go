package render

import (
	"bytes"
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
	var buf bytes.Buffer
	if err := TextHeatmap(&buf, c, TextOptions{Width: 100}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	// Scale max is 20 (largest after month 0); 4 cells per month.
	// 100 -> █, 20 -> █, 10 -> ▒ (fraction .5 -> shade 2), 5 -> ░ (.25 -> 1).
	want := []string{
		"cohort  size   0   1   2",
		"2025-01   10 ███ ███ ▒▒▒",
		"2025-02   20 ███ ░░░",
	}
	for i, w := range want {
		if strings.TrimRight(lines[i], " ") != w {
			t.Errorf("line %d = %q, want %q", i, lines[i], w)
		}
	}
	if !strings.Contains(lines[3], "█ >=18%") {
		t.Errorf("legend %q should end with the darkest shade from 18%% (max 20, 4 steps)", lines[3])
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
	var buf bytes.Buffer
	// top = 40 (max after month 0 rounded to 10), height 4: one row = 10%, 8 eighths = 10%.
	if err := TextCurve(&buf, []float64{100, 40, 25, 10, 5}, 4, TextOptions{Width: 100}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	want := []string{
		"average retention by months since first order (weighted by cohort size)",
		"  40%|^^ ██",
		"     |██ ██ ▄▄",
		"  20%|██ ██ ██",
		"     |██ ██ ██ ██ ▄▄",
		"   0%+---------------",
	}
	for i, w := range want {
		if strings.TrimRight(lines[i], " ") != w {
			t.Errorf("line %d = %q, want %q", i, lines[i], w)
		}
	}
	for _, l := range lines {
		if visibleWidth(l) > 100 {
			t.Errorf("line too wide: %q", l)
		}
	}
	t.Logf("\n%s", buf.String())
}
