package journey

import (
	"fmt"
	"sort"
	"strings"
	"text/template/parse"
)

// checkBounds refuses, before anything runs, what the run-time budget could
// only stop after the harm: {{range N}} over an integer literal above
// MaxRangeLiteral, nested literal ranges whose product exceeds
// MaxNestedRangeIterations, and printf formats with huge widths. Each error
// gives the line:column inside the template and the fix.
func checkBounds(tree *parse.Tree) error {
	if tree == nil || tree.Root == nil {
		return nil
	}
	return (&boundsWalk{tree: tree}).node(tree.Root, 1)
}

type boundsWalk struct{ tree *parse.Tree }

// at is the node's line:column inside the template text, both 1-based
// (text/template counts columns from 0).
func (w *boundsWalk) at(n parse.Node) string {
	loc, _ := w.tree.ErrorContext(n)
	var line, col int
	if _, err := fmt.Sscanf(loc[strings.LastIndex(loc[:strings.LastIndex(loc, ":")], ":")+1:], "%d:%d", &line, &col); err != nil {
		return loc
	}
	return fmt.Sprintf("%d:%d", line, col+1)
}

// node walks n; iterations is how often n runs per render as far as literal
// ranges around it tell.
func (w *boundsWalk) node(n parse.Node, iterations int64) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := w.node(c, iterations); err != nil {
				return err
			}
		}
	case *parse.ActionNode:
		return w.pipe(n.Pipe)
	case *parse.TemplateNode:
		return w.pipe(n.Pipe)
	case *parse.IfNode:
		return w.branch(&n.BranchNode, iterations, iterations)
	case *parse.WithNode:
		return w.branch(&n.BranchNode, iterations, iterations)
	case *parse.RangeNode:
		count, ok := rangeLiteral(n.Pipe)
		if !ok {
			return w.branch(&n.BranchNode, iterations, iterations)
		}
		if count > MaxRangeLiteral {
			return fmt.Errorf("range over %s at %s exceeds the limit of %d iterations; use a smaller number or range over a customer field such as .attributes",
				rangeText(n.Pipe), w.at(n), MaxRangeLiteral)
		}
		inner := iterations * max(count, 1)
		if inner > MaxNestedRangeIterations {
			return fmt.Errorf("range over %s at %s nested in other ranges runs %d iterations in total, over the limit of %d; use smaller numbers or fewer nested ranges",
				rangeText(n.Pipe), w.at(n), inner, MaxNestedRangeIterations)
		}
		return w.branch(&n.BranchNode, iterations, inner)
	}
	return nil
}

func (w *boundsWalk) branch(b *parse.BranchNode, outer, inner int64) error {
	if err := w.pipe(b.Pipe); err != nil {
		return err
	}
	if err := w.node(b.List, inner); err != nil {
		return err
	}
	return w.node(b.ElseList, outer)
}

// pipe checks every command of a pipeline, including parenthesised ones.
func (w *boundsWalk) pipe(p *parse.PipeNode) error {
	if p == nil {
		return nil
	}
	for _, cmd := range p.Cmds {
		if err := w.command(cmd); err != nil {
			return err
		}
	}
	return nil
}

func (w *boundsWalk) command(cmd *parse.CommandNode) error {
	if len(cmd.Args) > 1 {
		if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok && id.Ident == "printf" {
			if format, ok := cmd.Args[1].(*parse.StringNode); ok {
				if err := checkFormat(format.Text); err != nil {
					return fmt.Errorf("%s: printf format %s %w", w.at(cmd), format.Quoted, err)
				}
			}
		}
	}
	for _, a := range cmd.Args {
		switch a := a.(type) {
		case *parse.PipeNode:
			if err := w.pipe(a); err != nil {
				return err
			}
		case *parse.ChainNode:
			if p, ok := a.Node.(*parse.PipeNode); ok {
				if err := w.pipe(p); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// rangeLiteral reports the count of a range over a number literal, looking
// through parentheses: {{range 10}}, {{range $i := (10)}}. Numbers too big
// for int64 count as the largest int64.
func rangeLiteral(p *parse.PipeNode) (int64, bool) {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return 0, false
	}
	switch a := p.Cmds[0].Args[0].(type) {
	case *parse.NumberNode:
		switch {
		case a.IsInt:
			return a.Int64, true
		case a.IsUint:
			return 1<<63 - 1, true
		case a.IsFloat && a.Float64 >= 1<<63:
			return 1<<63 - 1, true
		case a.IsFloat:
			return int64(a.Float64), true
		}
	case *parse.PipeNode:
		return rangeLiteral(a)
	}
	return 0, false
}

// rangeText is the ranged-over expression as written, for messages.
func rangeText(p *parse.PipeNode) string {
	return p.Cmds[0].String()
}

// checkRecursion refuses templates that call themselves, directly or through
// others ({{define "a"}}{{template "a"}}{{end}}): each level of recursion
// holds Go stack, so a deep one exhausts memory before the step budget ends
// it. Without cycles the call depth is at most the number of templates, and
// fan-out is charged to the step budget.
func checkRecursion(trees []*parse.Tree) error {
	calls := map[string][]string{}
	for _, t := range trees {
		if t != nil {
			calls[t.Name] = templateCalls(t.Root, nil)
		}
	}
	const (
		unseen = iota
		active
		done
	)
	names := make([]string, 0, len(calls))
	for name := range calls {
		names = append(names, name)
	}
	sort.Strings(names) // the same template is named on every run
	state := map[string]int{}
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		switch state[name] {
		case active:
			return fmt.Errorf("template %q calls itself (%s); recursion is not allowed in message templates, repeat with range instead",
				name, strings.Join(append(path, name), " -> "))
		case done:
			return nil
		}
		state[name] = active
		for _, c := range calls[name] {
			if err := visit(c, append(path, name)); err != nil {
				return err
			}
		}
		state[name] = done
		return nil
	}
	for _, name := range names {
		if err := visit(name, nil); err != nil {
			return err
		}
	}
	return nil
}

// templateCalls lists the names of the templates n invokes.
func templateCalls(n parse.Node, out []string) []string {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				out = templateCalls(c, out)
			}
		}
	case *parse.TemplateNode:
		out = append(out, n.Name)
	case *parse.IfNode:
		out = templateCalls(n.ElseList, templateCalls(n.List, out))
	case *parse.RangeNode:
		out = templateCalls(n.ElseList, templateCalls(n.List, out))
	case *parse.WithNode:
		out = templateCalls(n.ElseList, templateCalls(n.List, out))
	}
	return out
}
