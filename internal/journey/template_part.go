package journey

import (
	"errors"
	htmltemplate "html/template"
	"io"
	"sync"
	"text/template"
	"text/template/parse"
	"time"
)

// templatePart is one compiled part of a send step's template (subject,
// body or HTML) that renders within the limits of template_limits.go.
//
// The parsed master is instrumented once and never executed; each render
// takes an instance (a clone whose functions are bound to the instance's own
// budget) from a pool, so concurrent renders never share a budget and
// html/template escapes each instance only once.
type templatePart struct {
	name      string // subject, body or html
	newClone  func() (*partInstance, error)
	instances sync.Pool // *partInstance
}

// executor is what text/template and html/template have in common.
type executor interface {
	Execute(w io.Writer, data any) error
}

type partInstance struct {
	exec   executor
	budget *budget
}

// newTextPart parses text, checks its bounds and instruments every template
// it defines.
func newTextPart(label, name, text string) (*templatePart, *template.Template, error) {
	t, err := template.New(label + " " + name).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, nil, err
	}
	if err := boundAll(treesOf(t.Templates())); err != nil {
		return nil, nil, err
	}
	p := clonePart(name, t.Clone, func(c *template.Template, b *budget) executor { return c.Funcs(b.funcs()) })
	return p, t, nil
}

// newHTMLPart is newTextPart for html/template.
func newHTMLPart(label, name, text string) (*templatePart, *htmltemplate.Template, error) {
	t, err := htmltemplate.New(label + " " + name).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, nil, err
	}
	var trees []*parse.Tree
	for _, d := range t.Templates() {
		trees = append(trees, d.Tree)
	}
	if err := boundAll(trees); err != nil {
		return nil, nil, err
	}
	p := clonePart(name, t.Clone, func(c *htmltemplate.Template, b *budget) executor {
		return c.Funcs(htmltemplate.FuncMap(b.funcs()))
	})
	return p, t, nil
}

// clonePart is the part name whose instances are clones of a parsed master
// (clone), each with its functions bound to its own budget (bind).
func clonePart[T any](name string, clone func() (T, error), bind func(T, *budget) executor) *templatePart {
	return &templatePart{name: name, newClone: func() (*partInstance, error) {
		b := &budget{}
		c, err := clone()
		if err != nil {
			return nil, err
		}
		return &partInstance{bind(c, b), b}, nil
	}}
}

func treesOf(ts []*template.Template) []*parse.Tree {
	var trees []*parse.Tree
	for _, t := range ts {
		trees = append(trees, t.Tree)
	}
	return trees
}

// boundAll runs the static checks (recursion, loop and printf bounds) on
// every tree, then instruments them.
func boundAll(trees []*parse.Tree) error {
	if err := checkRecursion(trees); err != nil {
		return err
	}
	for _, tree := range trees {
		if err := checkBounds(tree); err != nil {
			return err
		}
	}
	for _, tree := range trees {
		instrument(tree)
	}
	return nil
}

// render executes the part over data until deadline. A limit that stops it
// comes back as the *LimitError itself (not text/template's wrapping of it),
// so the message is the limit and its fix.
func (p *templatePart) render(data any, deadline time.Time) (string, error) {
	inst, err := p.instance()
	if err != nil {
		return "", err
	}
	defer p.instances.Put(inst)
	inst.budget.reset(deadline)
	w := &limitedWriter{budget: inst.budget}
	if err := inst.exec.Execute(w, data); err != nil {
		var limit *LimitError
		if errors.As(err, &limit) {
			return "", limit
		}
		return "", err
	}
	return w.buf.String(), nil
}

func (p *templatePart) instance() (*partInstance, error) {
	if v := p.instances.Get(); v != nil {
		return v.(*partInstance), nil
	}
	return p.newClone()
}
