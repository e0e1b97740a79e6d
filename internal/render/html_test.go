package render

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/internal/report"
)

func TestHeatmapHTML(t *testing.T) {
	c := &report.Cohorts{
		Labels: []string{"2025-01", "2025-02"},
		Sizes:  []int64{120, 80},
		Rows:   [][]float64{{100, 40, 20}, {100, 10}},
	}
	var buf bytes.Buffer
	caption := Caption{Segment: "shop/<at-risk>", AsOf: testCaption.AsOf}
	if err := WriteHTML(&buf, c, HTMLPage{Caption: caption, Figures: [][2]string{{"size", "200"}}}); err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("RENDER_HTML_OUT"); out != "" {
		_ = os.WriteFile(out, buf.Bytes(), 0o644)
	}
	page := buf.String()
	for _, want := range []string{
		"<title>Segment shop/&lt;at-risk&gt;: cohort retention, metric run of 2026-11-30 14:05 UTC</title>", // escaped
		"<h1>Segment shop/&lt;at-risk&gt;: cohort retention</h1>", `<p class="sub">metric run of 2026-11-30 14:05 UTC</p>`,
		"cohort (first order)", "months since first order",
		`style="background:#08306b;color:#ffffff" title="cohort 2025-01, month 1: 40%">40.0</td>`, // max -> darkest
		`style="background:#6baed6;color:#111111" title="cohort 2025-01, month 2: 20%">20.0</td>`, // half -> stop 4
		`<td class="c n" title="not observed yet"></td>`,
		"<li>40%&#43;</li>", "<li>30%</li>", "<li>20%</li>", "<li>10%</li>", "<li>0%</li>", "no data",
		"<dt>size</dt><dd>200</dd>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, external := range []string{"<script", "<link", "src=", "http://", "https://"} {
		if strings.Contains(page, external) {
			t.Errorf("page is not self-contained: has %q", external)
		}
	}
	if n := strings.Count(page, `<td class="c"`); n != 5 {
		t.Errorf("%d value cells, want 5", n)
	}
}

// TestHeatmapHTMLEmptyCohortIsNoData: a cohort of size 0 is one "no data"
// cell across the row, not cells reading 0.0.
func TestHeatmapHTMLEmptyCohortIsNoData(t *testing.T) {
	c := firstQuarter([]int64{120, 0, 95}, []float64{100, 40, 20}, []float64{0, 0}, []float64{100})
	var buf bytes.Buffer
	if err := WriteHTML(&buf, c, HTMLPage{Caption: testCaption}); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	want := `<tr><th class="row">2025-02</th><td class="size">0</td><td class="c n empty" colspan="3" title="no customers had their first order in this month">no data</td></tr>`
	if !strings.Contains(page, want) {
		t.Errorf("page lacks the empty cohort row %q", want)
	}
	if strings.Contains(page, ">0.0<") {
		t.Error("an empty cohort's cells are printed as 0.0")
	}
}
