package journey

import (
	"fmt"
	"sort"
	"strings"
	"text/template/parse"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// TemplateFields are the names a template may reference as {{.name}}: the
// same camelCase names CEL expressions use (see CustomerVars), e.g.
// {{.email}}, {{.loyaltyTier}}, {{.attributes.firstName}}, the message's
// links {{.unsubscribeURL}} and {{.preferencesURL}} (template_links.go),
// and the triggering event {{.event.type}}, {{.event.properties.total}}
// (template_event.go).
func TemplateFields() []string {
	vars := CustomerVars(&customer.Features{})
	out := make([]string, 0, len(vars)+3)
	for k := range vars {
		out = append(out, k)
	}
	out = append(out, linkFields()...)
	out = append(out, EventField)
	sort.Strings(out)
	return out
}

// Renderer is a send step's compiled subject, body and HTML. Every render,
// the trial one at compile time and each customer's, runs within the
// template limits (template_limits.go).
type Renderer struct {
	label               string
	subject, body, html *templatePart
}

// TemplateError is a problem in one part of a send step's template.
type TemplateError struct {
	Label string // the step, e.g. `"welcome"`
	Part  string // subject, body or html
	Err   error
}

func (e *TemplateError) Error() string {
	return fmt.Sprintf("template %s %s: %v", e.Label, e.Part, e.Err)
}

func (e *TemplateError) Unwrap() error { return e.Err }

// CompileTemplate parses the three parts and checks, before anything is sent,
// that every field they reference exists and that nothing in them could run
// unbounded: a static walk of the parse tree rejects unknown {{.field}} names
// and loops or printf widths beyond the limits (checkBounds); execution uses
// missingkey=error as a second guard (it also catches unknown keys under a map
// such as attributes) and a budget for steps, time and output. label names
// the step in errors, e.g. `"welcome"`; errors are *TemplateError.
func CompileTemplate(label string, t Template) (*Renderer, error) {
	known := map[string]bool{}
	for _, f := range TemplateFields() {
		known[f] = true
	}
	r := &Renderer{label: label}
	fail := func(part string, err error) (*Renderer, error) {
		return nil, &TemplateError{Label: label, Part: part, Err: err}
	}
	for _, part := range []struct{ name, text string }{{"subject", t.Subject}, {"body", t.Body}, {"html", t.HTML}} {
		if len(part.text) > MaxTemplateSourceBytes {
			return fail(part.name, fmt.Errorf("%d bytes, over the limit of %d; shorten it", len(part.text), MaxTemplateSourceBytes))
		}
	}
	var tree *parse.Tree
	var err error
	if r.subject, tree, err = compileTextPart(label, "subject", t.Subject); err != nil {
		return fail("subject", err)
	}
	if err := checkFields(tree, known); err != nil {
		return fail("subject", err)
	}
	if r.body, tree, err = compileTextPart(label, "body", t.Body); err != nil {
		return fail("body", err)
	}
	if err := checkFields(tree, known); err != nil {
		return fail("body", err)
	}
	if t.HTML != "" {
		part, h, err := newHTMLPart(label, "html", t.HTML)
		if err != nil {
			return fail("html", err)
		}
		if err := checkFields(h.Tree, known); err != nil {
			return fail("html", err)
		}
		r.html = part
	}
	// A trial render over an empty customer catches what the walk cannot
	// see (e.g. a function applied to the wrong type) before any send.
	trial := &customer.Features{Attributes: map[string]string{}}
	for k := range known {
		if name, ok := strings.CutPrefix(k, "attributes."); ok {
			trial.Attributes[name] = ""
		}
	}
	if _, _, _, err := r.RenderFor(trial, trialEvent(known), MessageLinks{}); err != nil && !eventShapeError(err, known) {
		return nil, err
	}
	return r, nil
}

func compileTextPart(label, name, text string) (*templatePart, *parse.Tree, error) {
	part, t, err := newTextPart(label, name, text)
	if err != nil {
		return nil, nil, err
	}
	return part, t.Tree, nil
}

// Render executes the templates over one customer's fields, all three parts
// within one MaxTemplateRenderTime. Errors are *TemplateError naming the part.
func (r *Renderer) Render(f *customer.Features) (subject, body, html string, err error) {
	return r.RenderWithLinks(f, MessageLinks{})
}

func (r *Renderer) render(data map[string]any) (subject, body, html string, err error) {
	deadline := time.Now().Add(MaxTemplateRenderTime)
	for _, p := range []struct {
		part *templatePart
		out  *string
	}{{r.subject, &subject}, {r.body, &body}, {r.html, &html}} {
		if p.part == nil {
			continue
		}
		if *p.out, err = p.part.render(data, deadline); err != nil {
			return "", "", "", &TemplateError{Label: r.label, Part: p.part.name, Err: err}
		}
	}
	return subject, body, html, nil
}

// checkFields walks a parse tree and rejects references to unknown top-level
// fields of dot (while dot is still the customer) and of $ (always the customer).
func checkFields(tree *parse.Tree, known map[string]bool) error {
	if tree == nil || tree.Root == nil {
		return nil
	}
	return walk(tree.Root, known, true)
}

// attributeRefs records {{.attributes.NAME}} references so the trial render
// can supply them (a real customer without the attribute fails at render
// time and that one send is suppressed as a template error).
var attributeRefs = func(known map[string]bool, ident []string) {
	if len(ident) > 1 && ident[0] == "attributes" {
		known["attributes."+ident[1]] = true
	}
}

func walk(n parse.Node, known map[string]bool, dotIsCustomer bool) error {
	switch n := n.(type) {
	case *parse.ListNode: // a nil *ListNode or *PipeNode is still a non-nil Node
		if n != nil {
			return walkAll(n.Nodes, known, dotIsCustomer)
		}
	case *parse.PipeNode:
		if n != nil {
			return walkAll(n.Cmds, known, dotIsCustomer)
		}
	case *parse.ActionNode:
		return walk(n.Pipe, known, dotIsCustomer)
	case *parse.CommandNode:
		return walkAll(n.Args, known, dotIsCustomer)
	case *parse.FieldNode:
		if dotIsCustomer && !known[n.Ident[0]] {
			return unknownField(n.Ident[0], known)
		}
		if dotIsCustomer {
			attributeRefs(known, n.Ident)
			eventRefs(known, n.Ident)
		}
	case *parse.VariableNode:
		if n.Ident[0] == "$" && len(n.Ident) > 1 && !known[n.Ident[1]] {
			return unknownField(n.Ident[1], known)
		}
		if n.Ident[0] == "$" {
			attributeRefs(known, n.Ident[1:])
			eventRefs(known, n.Ident[1:])
		}
	case *parse.ChainNode:
		return walk(n.Node, known, dotIsCustomer)
	case *parse.IfNode:
		return walkBranch(&n.BranchNode, known, dotIsCustomer, dotIsCustomer)
	case *parse.RangeNode:
		return walkBranch(&n.BranchNode, known, dotIsCustomer, false)
	case *parse.WithNode:
		return walkBranch(&n.BranchNode, known, dotIsCustomer, false)
	case *parse.TemplateNode:
		return walk(n.Pipe, known, dotIsCustomer)
	}
	return nil
}

// walkAll walks each node in turn, stopping at the first error.
func walkAll[N parse.Node](nodes []N, known map[string]bool, dotIsCustomer bool) error {
	for _, c := range nodes {
		if err := walk(c, known, dotIsCustomer); err != nil {
			return err
		}
	}
	return nil
}

// walkBranch checks the pipeline with the outer dot and the body with inner
// (range and with rebind dot, so fields inside them are not customer fields).
func walkBranch(b *parse.BranchNode, known map[string]bool, outer, inner bool) error {
	if err := walk(b.Pipe, known, outer); err != nil {
		return err
	}
	if err := walk(b.List, known, inner); err != nil {
		return err
	}
	if b.ElseList != nil {
		return walk(b.ElseList, known, outer)
	}
	return nil
}

func unknownField(name string, known map[string]bool) error {
	names := make([]string, 0, len(known))
	for k := range known {
		if !strings.Contains(k, ".") {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return fmt.Errorf("unknown field %q; known fields: %s", name, strings.Join(names, ", "))
}
