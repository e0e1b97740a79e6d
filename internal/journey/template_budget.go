package journey

import (
	"bytes"
	"fmt"
	"text/template"
	"text/template/parse"
	"time"
)

// A text/template execution cannot be cancelled from outside, so the limits
// are enforced from inside it: every range body and every template (the
// entry point of recursion through {{template}}) starts with a hidden
// {{if __budget}}{{end}} that charges one step and fails the execution once
// the step or time budget is spent; the print functions are replaced by
// versions that charge a step and refuse oversized results; and output goes
// through a writer that fails past MaxTemplateOutputBytes.

// budgetFunc is the hidden function the injected checks call. The name
// cannot be written in a user template: user templates are parsed without
// it, so {{__budget}} there fails as an undefined function.
const budgetFunc = "__budget"

// LimitError says which template limit stopped a render and how to fix it.
type LimitError struct{ Reason string }

func (e *LimitError) Error() string { return e.Reason }

var (
	errTooManySteps = &LimitError{fmt.Sprintf("rendering stopped after %d loop iterations, template calls and print calls, the limit; loop over less data or nest fewer ranges", MaxTemplateSteps)}
	errTooSlow      = &LimitError{fmt.Sprintf("rendering stopped after %s, the time limit; loop over less data or nest fewer ranges", MaxTemplateRenderTime)}
	errTooMuchBuilt = &LimitError{fmt.Sprintf("rendering stopped: the print functions built more than %d bytes in total, the limit; print less inside loops", MaxTemplateBuiltBytes)}
	errTooLong      = &LimitError{fmt.Sprintf("rendering stopped: the output exceeds %d bytes, the limit; shorten the template or what its loops print", MaxTemplateOutputBytes)}
)

// budget is one execution's allowance. Each template instance owns one and
// resets it before every render (instances are never shared between
// concurrent renders; see templatePart).
type budget struct {
	steps    int
	written  int // bytes of output
	built    int // bytes of strings built by the print functions
	deadline time.Time
}

func (b *budget) reset(deadline time.Time) { *b = budget{deadline: deadline} }

// step charges one unit of work.
func (b *budget) step() error {
	b.steps++
	if b.steps > MaxTemplateSteps {
		return errTooManySteps
	}
	if time.Now().After(b.deadline) {
		return errTooSlow
	}
	return nil
}

// check is the injected {{if __budget}}: always false, or an error that
// ends the execution.
func (b *budget) check() (bool, error) { return false, b.step() }

// bounded wraps a string-producing builtin: one step, and a result no
// longer than the output limit.
func (b *budget) bounded(f func(...any) string) func(...any) (string, error) {
	return func(args ...any) (string, error) {
		if err := b.step(); err != nil {
			return "", err
		}
		return b.charge(f(args...))
	}
}

// charge accounts for a string a print function built.
func (b *budget) charge(s string) (string, error) {
	if len(s) > MaxTemplateOutputBytes {
		return "", errTooLong
	}
	b.built += len(s)
	if b.built > MaxTemplateBuiltBytes {
		return "", errTooMuchBuilt
	}
	return s, nil
}

// printf is fmt.Sprintf with the format checked before fmt allocates.
func (b *budget) printf(format string, args ...any) (string, error) {
	if err := b.step(); err != nil {
		return "", err
	}
	if err := checkFormat(format); err != nil {
		return "", &LimitError{"printf format " + err.Error()}
	}
	return b.charge(fmt.Sprintf(format, args...))
}

// funcs are the functions bound to this budget; they replace the builtins
// of the same names.
func (b *budget) funcs() template.FuncMap {
	return template.FuncMap{
		budgetFunc: b.check,
		"printf":   b.printf,
		"print":    b.bounded(fmt.Sprint),
		"println":  b.bounded(fmt.Sprintln),
		"html":     b.bounded(template.HTMLEscaper),
		"js":       b.bounded(template.JSEscaper),
		"urlquery": b.bounded(template.URLQueryEscaper),
	}
}

// stubFuncs lets the instrumented trees parse before any budget exists.
var stubFuncs = template.FuncMap{budgetFunc: func() (bool, error) { return false, nil }}

// limitedWriter fails the execution once the output passes the limit or the
// time is up.
type limitedWriter struct {
	buf    bytes.Buffer
	budget *budget
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if w.budget.written+len(p) > MaxTemplateOutputBytes {
		return 0, errTooLong
	}
	if time.Now().After(w.budget.deadline) {
		return 0, errTooSlow
	}
	w.budget.written += len(p)
	return w.buf.Write(p)
}

// instrument puts a budget check at the start of tree's body and of every
// range body in it.
func instrument(tree *parse.Tree) {
	if tree == nil || tree.Root == nil {
		return
	}
	prependCheck(tree.Root)
	instrumentList(tree.Root)
}

func instrumentList(l *parse.ListNode) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.RangeNode:
			prependCheck(n.List)
			instrumentList(n.List)
			instrumentList(n.ElseList)
		case *parse.IfNode:
			instrumentList(n.List)
			instrumentList(n.ElseList)
		case *parse.WithNode:
			instrumentList(n.List)
			instrumentList(n.ElseList)
		}
	}
}

// checkNode is the parsed {{if __budget}}{{end}}; each use gets a copy. An
// if prints nothing, so html/template adds no escaper to it and the output
// is unchanged in every context.
var checkNode = func() parse.Node {
	t := template.Must(template.New("budget").Funcs(stubFuncs).Parse("{{if " + budgetFunc + "}}{{end}}"))
	return t.Tree.Root.Nodes[0]
}()

func prependCheck(l *parse.ListNode) {
	if l == nil {
		return
	}
	l.Nodes = append([]parse.Node{checkNode.Copy()}, l.Nodes...)
}
