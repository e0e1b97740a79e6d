package render

import (
	"fmt"
	"html/template"
	"image/color"
	"io"
	"strconv"

	"github.com/retention-dev/retention-operator/internal/report"
)

// HTMLPage is what the HTML heatmap shows besides the matrix.
type HTMLPage struct {
	// Caption names the segment and the metric run (title and heading).
	Caption Caption
	// Figures are label/value pairs shown above the heatmap (size, metrics).
	Figures [][2]string
}

type htmlCell struct {
	Text, Tip string
	BG, FG    template.CSS
}

type htmlRow struct {
	Label, Size string
	// Empty is a cohort of size 0: one "no data" cell across the row.
	Empty bool
	Cells []htmlCell
}

var htmlTmpl = template.Must(template.New("heatmap").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{{.Caption.Heading}}, {{.Caption.Dated}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222}
h1{font-size:20px;margin:0 0 4px}
p.sub{margin:0 0 16px;color:#555}
dl{display:grid;grid-template-columns:max-content max-content;gap:2px 16px;margin:0 0 20px}
dt{color:#555}dd{margin:0;font-variant-numeric:tabular-nums}
.wrap{display:flex;gap:28px;align-items:flex-start}
table{border-collapse:separate;border-spacing:1px;font-size:12px;font-variant-numeric:tabular-nums}
th{font-weight:normal;color:#555;padding:2px 6px}
th.row{text-align:left;color:#222}td.size{text-align:right;padding-right:8px}
td.c{width:38px;height:20px;text-align:center}
td.n{background:#eeeeee}
td.empty{color:#666;text-align:left;padding-left:6px}
caption{caption-side:bottom;padding-top:8px;color:#222}
.axis{color:#222}
.legend{font-size:12px}
.legend .bar{display:flex;flex-direction:column;width:16px;border:1px solid #ccc}
.legend .bar div{height:12px}
.legend .ticks{display:flex;gap:6px}
.legend ul{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;justify-content:space-between}
.swatch{display:inline-block;width:16px;height:14px;background:#eeeeee;vertical-align:middle;margin-right:6px}
</style></head><body>
<h1>{{.Caption.Heading}}</h1>
<p class="sub">{{.Caption.Dated}}</p>
<p class="sub">Cohort retention: the percentage of each cohort (customers whose first order fell in that month) who ordered again k months after their first order.</p>
{{if .Figures}}<dl>{{range .Figures}}<dt>{{index . 0}}</dt><dd>{{index . 1}}</dd>{{end}}</dl>{{end}}
<div class="wrap">
<table>
<caption>months since first order &rarr;</caption>
<thead><tr><th class="row axis">cohort (first order)</th><th>customers</th>{{range .Months}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr><th class="row">{{.Label}}</th><td class="size">{{.Size}}</td>{{if .Empty}}<td class="c n empty" colspan="{{$.MonthCount}}" title="no customers had their first order in this month">no data</td>{{else}}{{range .Cells}}{{if .Text}}<td class="c" style="background:{{.BG}};color:{{.FG}}" title="{{.Tip}}">{{.Text}}</td>{{else}}<td class="c n" title="not observed yet"></td>{{end}}{{end}}{{end}}</tr>
{{end}}</tbody></table>
<div class="legend"><div>retention</div>
<div class="ticks"><div class="bar">{{range .Bar}}<div style="background:{{.}}"></div>{{end}}</div>
<ul>{{range .Ticks}}<li>{{.}}</li>{{end}}</ul></div>
<p><span class="swatch"></span>no data</p>
<p>Month 0 is 100% by definition;<br>the scale runs to the highest<br>later value ({{.MaxLabel}}).</p>
</div></div>
</body></html>
`))

// WriteHTML writes a self-contained HTML page (inline CSS, no scripts, no
// external files) with the cohort heatmap, its axis labels, a colour
// legend, and the value of every cell (with a tooltip naming it).
func WriteHTML(w io.Writer, c *report.Cohorts, page HTMLPage) error {
	if c == nil || len(c.Rows) == 0 {
		return fmt.Errorf("no cohort data to draw")
	}
	scale := NewScale(c)
	months := Months(c)
	data := struct {
		HTMLPage
		Months     []int
		MonthCount int
		Rows       []htmlRow
		Bar        []template.CSS
		Ticks      []string
		MaxLabel   string
	}{HTMLPage: page, MonthCount: months, MaxLabel: strconv.FormatFloat(scale.Max, 'f', -1, 64) + "%"}
	for k := 0; k < months; k++ {
		data.Months = append(data.Months, k)
	}
	for i := range c.Rows {
		row := htmlRow{Empty: Empty(c, i)}
		if i < len(c.Labels) {
			row.Label = c.Labels[i]
		}
		if i < len(c.Sizes) {
			row.Size = strconv.FormatInt(c.Sizes[i], 10)
		}
		for k := 0; k < months; k++ {
			if !Observed(c, i, k) {
				row.Cells = append(row.Cells, htmlCell{})
				continue
			}
			v := c.Rows[i][k]
			bg := scale.Color(v)
			row.Cells = append(row.Cells, htmlCell{Text: cellText(v), BG: cssColor(bg), FG: cssColor(TextColor(bg)),
				Tip: fmt.Sprintf("cohort %s, month %d: %s%%", row.Label, k, strconv.FormatFloat(v, 'f', -1, 64))})
		}
		data.Rows = append(data.Rows, row)
	}
	const steps = 20 // bar from Max (top) to 0 (bottom)
	for s := steps; s >= 0; s-- {
		data.Bar = append(data.Bar, cssColor(scale.Color(scale.Max*float64(s)/steps)))
	}
	ticks := scale.Ticks()
	for t := len(ticks) - 1; t >= 0; t-- {
		data.Ticks = append(data.Ticks, scale.TickLabel(ticks[t]))
	}
	return htmlTmpl.Execute(w, data)
}

func cssColor(c color.RGBA) template.CSS {
	return template.CSS(fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B))
}
