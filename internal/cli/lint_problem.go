package cli

import (
	"fmt"
	"sort"
)

// problem is one lint finding, printed as
// "file:line: kind/name: field: message".
type problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Object  string `json:"object,omitempty"` // kind/name
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	// Warning findings are printed but do not fail the run.
	Warning bool `json:"warning,omitempty"`
}

func (p problem) String() string {
	s := fmt.Sprintf("%s:%d: ", p.File, p.Line)
	if p.Warning {
		s += "warning: "
	}
	if p.Object != "" {
		s += p.Object + ": "
	}
	if p.Field != "" {
		s += p.Field + ": "
	}
	return s + p.Message
}

// sortProblems orders findings by file, then line, then message, so output
// is stable for CI diffs.
func sortProblems(ps []problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.String() < b.String()
	})
}

// countErrors is the number of findings that fail the run.
func countErrors(ps []problem) int {
	n := 0
	for _, p := range ps {
		if !p.Warning {
			n++
		}
	}
	return n
}
