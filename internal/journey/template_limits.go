package journey

import "time"

// Limits on message templates. A template is user input that runs in the
// Playbook controller (validation), the campaign worker (once per customer)
// and retentionctl (lint, preview); text/template cannot be interrupted from
// outside, so these bounds are enforced from inside the execution (see
// template_budget.go) and, for what would be too costly to start at all, by
// a static check of the parse tree (template_bounds.go).
const (
	// MaxTemplateSourceBytes matches the Playbook CRD's maxLength for a
	// template body, so direct callers (lint on a file, tests) get the same bound.
	MaxTemplateSourceBytes = 65536
	// MaxTemplateOutputBytes caps what one part (subject, body or HTML)
	// renders to, and every intermediate string a print function builds.
	MaxTemplateOutputBytes = 1 << 20
	// MaxTemplateBuiltBytes caps the total length of the strings the print
	// functions build in one part's render, so a loop that prints large
	// strings into variables, not the output, ends in milliseconds.
	MaxTemplateBuiltBytes = 16 << 20
	// MaxTemplateSteps caps the loop iterations, template calls and print
	// function calls of one part's render.
	MaxTemplateSteps = 100_000
	// MaxTemplateRenderTime caps the wall time of one customer's render. The
	// step budget already bounds the CPU a render uses; this is the backstop
	// for slow single steps, set well above a render's time on a busy node.
	MaxTemplateRenderTime = 2 * time.Second
	// MaxRangeLiteral caps {{range N}} over an integer literal.
	MaxRangeLiteral = 1000
	// MaxNestedRangeIterations caps the product of the counts of nested
	// {{range N}} loops over literals.
	MaxNestedRangeIterations = 10_000
	// MaxFormatWidth caps the width and precision of a printf verb (Go's
	// fmt alone allows widths up to 10^6, a megabyte per verb).
	MaxFormatWidth = 1000
)
