package segment

import (
	"fmt"
	"strings"

	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
)

// Dialect selects the SQL flavour ToSQL writes.
type Dialect int

const (
	// Postgres casts every placeholder to the column's type and compares
	// strings under COLLATE "C", the byte order CEL uses.
	Postgres Dialect = iota
	// SQLite binds bools as 0/1 and compares strings under COLLATE BINARY.
	SQLite
)

// sqlScalarTypes are the CEL types of customer fields that have an exact SQL
// counterpart. Timestamps are left out on purpose: how "never ordered" (the
// zero time) appears in a column is the connector's choice, and SQLite has no
// timestamp type, so such criteria are evaluated in Go.
var sqlScalarTypes = map[string]string{ // CEL type name -> Postgres cast
	"double": "double precision",
	"int":    "bigint",
	"string": "text",
	"bool":   "boolean",
}

var sqlComparisons = map[string]string{
	operators.Equals:        "=",
	operators.NotEquals:     "<>",
	operators.Less:          "<",
	operators.LessEquals:    "<=",
	operators.Greater:       ">",
	operators.GreaterEquals: ">=",
}

// ToSQL translates a criteria into a WHERE clause over columns named exactly
// like the CEL fields, double-quoted ("recencyDays"), with $1.. placeholders
// for the literals in args. It handles comparisons, &&, ||, !, `in` over a
// list, bool/int/double/string literals and the scalar customer fields; for
// anything else (arithmetic, functions, attributes, timestamps, journey
// variables, ternaries) it returns ok=false and the caller evaluates in Go.
//
// The result matches CEL exactly only because feature columns are never NULL
// (the connector COALESCEs them): CEL has no NULL here, and SQL's
// three-valued logic would otherwise make NOT ("x" > $1) drop rows CEL keeps.
// Likewise feature doubles are never NaN (PostgreSQL orders NaN above every
// number and makes NaN = NaN true; CEL compares NaN false).
// Comparisons in the supported subset never raise CEL errors, so CEL's
// error-absorbing && and || agree with SQL AND and OR.
func ToSQL(p *Program, dialect Dialect) (where string, args []any, ok bool) {
	if p == nil || p.ast == nil {
		return "", nil, false
	}
	t := &sqlTranslator{ast: p.ast.NativeRep(), dialect: dialect}
	var b strings.Builder
	if !t.predicate(&b, t.ast.Expr()) {
		return "", nil, false
	}
	return b.String(), t.args, true
}

type sqlTranslator struct {
	ast     *celast.AST
	dialect Dialect
	args    []any
}

// predicate writes a boolean-valued expression.
func (t *sqlTranslator) predicate(b *strings.Builder, e celast.Expr) bool {
	switch e.Kind() {
	case celast.IdentKind, celast.LiteralKind:
		// A bool field or literal used as a condition: compare it with TRUE so
		// both dialects (Postgres boolean, SQLite 0/1) read it the same way.
		if t.typeName(e) != "bool" {
			return false
		}
		b.WriteString("(")
		if !t.scalar(b, e) {
			return false
		}
		b.WriteString(" = ")
		t.placeholder(b, types.True, "bool")
		b.WriteString(")")
		return true
	case celast.CallKind:
	default:
		return false
	}
	call := e.AsCall()
	if call.IsMemberFunction() {
		return false
	}
	fn, args := call.FunctionName(), call.Args()
	switch fn {
	case operators.LogicalAnd, operators.LogicalOr:
		joiner := " AND "
		if fn == operators.LogicalOr {
			joiner = " OR "
		}
		b.WriteString("(")
		for i, arg := range args {
			if i > 0 {
				b.WriteString(joiner)
			}
			if !t.predicate(b, arg) {
				return false
			}
		}
		b.WriteString(")")
		return true
	case operators.LogicalNot:
		if len(args) != 1 {
			return false
		}
		b.WriteString("(NOT ")
		if !t.predicate(b, args[0]) {
			return false
		}
		b.WriteString(")")
		return true
	case operators.In:
		return t.in(b, args)
	}
	op, isComparison := sqlComparisons[fn]
	if !isComparison || len(args) != 2 {
		return false
	}
	left, right := t.typeName(args[0]), t.typeName(args[1])
	if left == "" || left != right {
		return false
	}
	b.WriteString("(")
	if !t.scalar(b, args[0]) {
		return false
	}
	b.WriteString(" " + op + " ")
	if !t.scalar(b, args[1]) {
		return false
	}
	b.WriteString(")")
	return true
}

// in writes `x IN (a, b, ...)` for `x in [a, b, ...]`.
func (t *sqlTranslator) in(b *strings.Builder, args []celast.Expr) bool {
	if len(args) != 2 || args[1].Kind() != celast.ListKind {
		return false
	}
	elemType := t.typeName(args[0])
	if elemType == "" {
		return false
	}
	list := args[1].AsList()
	if len(list.OptionalIndices()) > 0 {
		return false
	}
	if list.Size() == 0 {
		// CEL: nothing is in an empty list. SQL forbids "IN ()".
		b.WriteString("(1 = 0)")
		return true
	}
	b.WriteString("(")
	if !t.scalar(b, args[0]) {
		return false
	}
	b.WriteString(" IN (")
	for i, el := range list.Elements() {
		if t.typeName(el) != elemType {
			return false
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if !t.scalar(b, el) {
			return false
		}
	}
	b.WriteString("))")
	return true
}

// scalar writes a column or a placeholder.
func (t *sqlTranslator) scalar(b *strings.Builder, e celast.Expr) bool {
	typeName := t.typeName(e)
	if typeName == "" {
		return false
	}
	switch e.Kind() {
	case celast.IdentKind:
		column, isCustomer := strings.CutPrefix(e.AsIdent(), "customer.")
		if !isCustomer || customerFields[e.AsIdent()] == nil {
			return false
		}
		b.WriteString(`"` + column + `"`)
		t.collate(b, typeName)
		return true
	case celast.LiteralKind:
		t.placeholder(b, e.AsLiteral(), typeName)
		t.collate(b, typeName)
		return true
	}
	return false
}

// collate pins string comparisons to byte order, which is how CEL compares.
func (t *sqlTranslator) collate(b *strings.Builder, typeName string) {
	if typeName != "string" {
		return
	}
	if t.dialect == Postgres {
		b.WriteString(` COLLATE "C"`)
	} else {
		b.WriteString(` COLLATE BINARY`)
	}
}

// placeholder appends a literal to args and writes $N (with a cast on
// Postgres, so a parameter's type never depends on inference).
func (t *sqlTranslator) placeholder(b *strings.Builder, v any, typeName string) {
	var arg any
	switch x := v.(type) {
	case types.Bool:
		if t.dialect == SQLite {
			arg = int64(0)
			if x {
				arg = int64(1)
			}
		} else {
			arg = bool(x)
		}
	case types.Int:
		arg = int64(x)
	case types.Double:
		arg = float64(x)
	case types.String:
		arg = string(x)
	}
	t.args = append(t.args, arg)
	fmt.Fprintf(b, "$%d", len(t.args))
	if t.dialect == Postgres {
		b.WriteString("::" + sqlScalarTypes[typeName])
	}
}

// typeName is the checked CEL type of e when it is one of the SQL scalar
// types ("double", "int", "string", "bool"), else "".
func (t *sqlTranslator) typeName(e celast.Expr) string {
	switch e.Kind() {
	case celast.IdentKind:
		if _, isCustomer := strings.CutPrefix(e.AsIdent(), "customer."); !isCustomer {
			return ""
		}
	case celast.LiteralKind:
		switch e.AsLiteral().(type) {
		case types.Bool, types.Int, types.Double, types.String:
		default:
			return ""
		}
	case celast.CallKind:
		// Only as a predicate operand; its type is bool by checking.
	default:
		return ""
	}
	typ := t.ast.GetType(e.ID())
	if typ == nil {
		return ""
	}
	name := typ.String()
	if _, ok := sqlScalarTypes[name]; !ok {
		return ""
	}
	return name
}
