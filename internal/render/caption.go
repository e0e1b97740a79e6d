package render

import (
	"strings"
	"time"
)

// Caption names what a cohort picture shows, so a PNG or HTML file passed
// around on its own still says which segment it is and how old its data is.
type Caption struct {
	// Segment is "namespace/name".
	Segment string
	// AsOf is the metric run the matrix comes from; zero when unknown.
	AsOf time.Time
}

// Heading is the caption's first line: "Segment shop/at-risk: cohort retention".
func (c Caption) Heading() string {
	if c.Segment == "" {
		return "Cohort retention"
	}
	return "Segment " + c.Segment + ": cohort retention"
}

// Dated is the caption's second line: when the data is from.
func (c Caption) Dated() string {
	if c.AsOf.IsZero() {
		return "metric run time unknown"
	}
	return "metric run of " + c.AsOf.UTC().Format("2006-01-02 15:04 MST")
}

// cohortExplanation says what a cell holds, under the heading.
const cohortExplanation = "% of each cohort ordering in month k after their first order"

// wrap breaks s into lines of at most width characters at spaces; a word
// longer than width (a long segment name) is cut into width-sized pieces, so
// no line ever runs past the edge.
func wrap(s string, width int) []string {
	width = max(width, 1)
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		for len(word) > width {
			if line != "" {
				lines = append(lines, line)
				line = ""
			}
			lines = append(lines, word[:width])
			word = word[width:]
		}
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}
