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
	if err := WriteHTML(&buf, c, HTMLPage{Title: "Segment shop/<at-risk>", Figures: [][2]string{{"size", "200"}}}); err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("RENDER_HTML_OUT"); out != "" {
		_ = os.WriteFile(out, buf.Bytes(), 0o644)
	}
	page := buf.String()
	for _, want := range []string{
		"<title>Segment shop/&lt;at-risk&gt;</title>", // escaped
		"cohort (first order)", "months since first order",
		`style="background:#08306b;color:#ffffff" title="cohort 2025-01, month 1: 40%">40.0</td>`, // max -> darkest
		`style="background:#6baed6;color:#111111" title="cohort 2025-01, month 2: 20%">20.0</td>`, // half -> stop 4
		`<td class="c n" title="not observed yet"></td>`,
		"<li>40%&#43;</li>", "<li>0%</li>", "no data",
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
