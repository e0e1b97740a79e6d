package journey

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// TemplateFields are the names a template may reference as {{.name}}: the
// same camelCase names CEL expressions use (see CustomerVars), e.g.
// {{.email}}, {{.loyaltyTier}}, {{.attributes.firstName}}.
func TemplateFields() []string {
	vars := CustomerVars(&customer.Features{})
	out := make([]string, 0, len(vars))
	for k := range vars {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Renderer is a send step's compiled subject, body and HTML.
type Renderer struct {
	subject, body *template.Template
	html          *htmltemplate.Template
}

// CompileTemplate parses the three parts and checks, before anything is sent,
// that every field they reference exists: a static walk of the parse tree
// rejects unknown {{.field}} names, and execution uses missingkey=error as a
// second guard (it also catches unknown keys under a map such as attributes).
// name labels errors, e.g. `steps[0] "welcome"`.
func CompileTemplate(name string, t Template) (*Renderer, error) {
	known := map[string]bool{}
	for _, f := range TemplateFields() {
		known[f] = true
	}
	r := &Renderer{}
	var err error
	if r.subject, err = template.New(name + " subject").Option("missingkey=error").Parse(t.Subject); err != nil {
		return nil, fmt.Errorf("template %s subject: %w", name, err)
	}
	if err := checkFields(r.subject.Tree, known); err != nil {
		return nil, fmt.Errorf("template %s subject: %w", name, err)
	}
	if r.body, err = template.New(name + " body").Option("missingkey=error").Parse(t.Body); err != nil {
		return nil, fmt.Errorf("template %s body: %w", name, err)
	}
	if err := checkFields(r.body.Tree, known); err != nil {
		return nil, fmt.Errorf("template %s body: %w", name, err)
	}
	if t.HTML != "" {
		if r.html, err = htmltemplate.New(name + " html").Option("missingkey=error").Parse(t.HTML); err != nil {
			return nil, fmt.Errorf("template %s html: %w", name, err)
		}
		if err := checkFields(r.html.Tree, known); err != nil {
			return nil, fmt.Errorf("template %s html: %w", name, err)
		}
	}
	// A trial render over an empty customer catches what the walk cannot
	// see (e.g. a function applied to the wrong type) before any send.
	trial := &customer.Features{Attributes: map[string]string{}}
	for k := range known {
		if name, ok := strings.CutPrefix(k, "attributes."); ok {
			trial.Attributes[name] = ""
		}
	}
	if _, _, _, err := r.Render(trial); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return r, nil
}

// Render executes the templates over one customer's fields.
func (r *Renderer) Render(f *customer.Features) (subject, body, html string, err error) {
	data := CustomerVars(f)
	var b bytes.Buffer
	if err = r.subject.Execute(&b, data); err != nil {
		return
	}
	subject = b.String()
	b.Reset()
	if err = r.body.Execute(&b, data); err != nil {
		return
	}
	body = b.String()
	if r.html != nil {
		b.Reset()
		if err = r.html.Execute(&b, data); err != nil {
			return
		}
		html = b.String()
	}
	return
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
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := walk(c, known, dotIsCustomer); err != nil {
				return err
			}
		}
	case *parse.ActionNode:
		return walk(n.Pipe, known, dotIsCustomer)
	case *parse.PipeNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Cmds {
			if err := walk(c, known, dotIsCustomer); err != nil {
				return err
			}
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			if err := walk(a, known, dotIsCustomer); err != nil {
				return err
			}
		}
	case *parse.FieldNode:
		if dotIsCustomer && !known[n.Ident[0]] {
			return unknownField(n.Ident[0], known)
		}
		if dotIsCustomer {
			attributeRefs(known, n.Ident)
		}
	case *parse.VariableNode:
		if n.Ident[0] == "$" && len(n.Ident) > 1 && !known[n.Ident[1]] {
			return unknownField(n.Ident[1], known)
		}
		if n.Ident[0] == "$" {
			attributeRefs(known, n.Ident[1:])
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
