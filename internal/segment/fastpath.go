package segment

import (
	"strings"

	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// fastPredicate evaluates a criteria from the ToSQL subset (comparisons, &&,
// ||, !, `in` lists over scalar customer fields and literals) directly on the
// struct, without boxing values for the CEL interpreter. Nothing in the
// subset can raise a CEL error (cel-go answers false for an ordering
// comparison with NaN, as Go does), so the result is always the one the
// interpreter would return; TestFastPathAgreesWithInterpreter checks that.
type fastPredicate func(f *customer.Features) bool

// Typed readers of one operand (a field or a literal).
type (
	readDouble func(*customer.Features) float64
	readInt    func(*customer.Features) int64
	readString func(*customer.Features) string
	readBool   func(*customer.Features) bool
)

var doubleFields = map[string]readDouble{
	"customer.recencyDays":       func(f *customer.Features) float64 { return f.RecencyDays },
	"customer.monetary":          func(f *customer.Features) float64 { return f.Monetary },
	"customer.averageOrderValue": func(f *customer.Features) float64 { return f.AverageOrderValue },
	"customer.tenureDays":        func(f *customer.Features) float64 { return f.TenureDays },
	"customer.windowSpend":       func(f *customer.Features) float64 { return f.WindowSpend },
	"customer.churnProbability":  func(f *customer.Features) float64 { return f.ChurnProbability },
	"customer.predictedCLV":      func(f *customer.Features) float64 { return f.PredictedCLV },
}

var intFields = map[string]readInt{
	"customer.frequency":     func(f *customer.Features) int64 { return f.Frequency },
	"customer.windowOrders":  func(f *customer.Features) int64 { return f.WindowOrders },
	"customer.nps":           func(f *customer.Features) int64 { return f.NPS },
	"customer.loyaltyPoints": func(f *customer.Features) int64 { return f.LoyaltyPoints },
}

var stringFields = map[string]readString{
	"customer.id":          func(f *customer.Features) string { return f.ID },
	"customer.email":       func(f *customer.Features) string { return f.Email },
	"customer.timeZone":    func(f *customer.Features) string { return f.TimeZone },
	"customer.loyaltyTier": func(f *customer.Features) string { return f.LoyaltyTier },
}

var boolFields = map[string]readBool{
	"customer.consentEmail": func(f *customer.Features) bool { return f.ConsentEmail },
	"customer.consentSMS":   func(f *customer.Features) bool { return f.ConsentSMS },
}

// compileFast builds the fast predicate for a checked AST, or nil when the
// expression is outside the subset.
func compileFast(ast *celast.AST) fastPredicate {
	return fastPred(ast.Expr())
}

func fastPred(e celast.Expr) fastPredicate {
	if read := boolOperand(e); read != nil {
		return fastPredicate(read)
	}
	if e.Kind() != celast.CallKind || e.AsCall().IsMemberFunction() {
		return nil
	}
	call := e.AsCall()
	args := call.Args()
	switch fn := call.FunctionName(); fn {
	case operators.LogicalAnd, operators.LogicalOr:
		if len(args) != 2 {
			return nil
		}
		left, right := fastPred(args[0]), fastPred(args[1])
		if left == nil || right == nil {
			return nil
		}
		if fn == operators.LogicalAnd {
			return func(f *customer.Features) bool { return left(f) && right(f) }
		}
		return func(f *customer.Features) bool { return left(f) || right(f) }
	case operators.LogicalNot:
		if len(args) != 1 {
			return nil
		}
		inner := fastPred(args[0])
		if inner == nil {
			return nil
		}
		return func(f *customer.Features) bool { return !inner(f) }
	case operators.In:
		return fastIn(args)
	case operators.Equals, operators.NotEquals, operators.Less, operators.LessEquals, operators.Greater, operators.GreaterEquals:
		if len(args) != 2 {
			return nil
		}
		return fastCompare(fn, args[0], args[1])
	}
	return nil
}

// fastCompare builds one comparison; both operands must have the same type
// (the checker guarantees it for the customer variables, CEL has no implicit
// numeric conversions here).
func fastCompare(fn string, l, r celast.Expr) fastPredicate {
	if a, b := doubleOperand(l), doubleOperand(r); a != nil && b != nil {
		// IEEE semantics, as in cel-go: NaN compares false, NaN != NaN.
		return compareOrdered(fn, a, b)
	}
	if a, b := intOperand(l), intOperand(r); a != nil && b != nil {
		return compareOrdered(fn, a, b)
	}
	if a, b := stringOperand(l), stringOperand(r); a != nil && b != nil {
		// CEL orders strings by bytes, as Go's < does.
		return compareOrdered(fn, a, b)
	}
	if a, b := boolOperand(l), boolOperand(r); a != nil && b != nil {
		// CEL orders false < true.
		toInt := func(read readBool) readInt {
			return func(f *customer.Features) int64 {
				if read(f) {
					return 1
				}
				return 0
			}
		}
		return compareOrdered(fn, toInt(a), toInt(b))
	}
	return nil
}

func compareOrdered[T float64 | int64 | string](fn string, a, b func(*customer.Features) T) fastPredicate {
	switch fn {
	case operators.Equals:
		return func(f *customer.Features) bool { return a(f) == b(f) }
	case operators.NotEquals:
		return func(f *customer.Features) bool { return a(f) != b(f) }
	case operators.Less:
		return func(f *customer.Features) bool { return a(f) < b(f) }
	case operators.LessEquals:
		return func(f *customer.Features) bool { return a(f) <= b(f) }
	case operators.Greater:
		return func(f *customer.Features) bool { return a(f) > b(f) }
	case operators.GreaterEquals:
		return func(f *customer.Features) bool { return a(f) >= b(f) }
	}
	return nil
}

// fastIn handles `x in [a, b, ...]`; CEL's list membership is equality, so
// NaN is in no list, as with Go's ==.
func fastIn(args []celast.Expr) fastPredicate {
	if len(args) != 2 || args[1].Kind() != celast.ListKind || len(args[1].AsList().OptionalIndices()) > 0 {
		return nil
	}
	elems := args[1].AsList().Elements()
	if len(elems) == 0 {
		return func(*customer.Features) bool { return false }
	}
	if x := doubleOperand(args[0]); x != nil {
		return inList(x, elems, doubleOperand)
	}
	if x := intOperand(args[0]); x != nil {
		return inList(x, elems, intOperand)
	}
	if x := stringOperand(args[0]); x != nil {
		return inList(x, elems, stringOperand)
	}
	if x := boolOperand(args[0]); x != nil {
		return inList(x, elems, boolOperand)
	}
	return nil
}

func inList[T comparable](x func(*customer.Features) T, elems []celast.Expr, operand func(celast.Expr) func(*customer.Features) T) fastPredicate {
	reads := make([]func(*customer.Features) T, len(elems))
	for i, el := range elems {
		if reads[i] = operand(el); reads[i] == nil {
			return nil
		}
	}
	return func(f *customer.Features) bool {
		v := x(f)
		for _, read := range reads {
			if read(f) == v {
				return true
			}
		}
		return false
	}
}

// The *Operand functions return a reader for a field or literal of their
// type, or nil.

func doubleOperand(e celast.Expr) func(*customer.Features) float64 {
	return operand(e, doubleFields, func(v ref.Val) (float64, bool) { d, ok := v.(types.Double); return float64(d), ok })
}

func intOperand(e celast.Expr) func(*customer.Features) int64 {
	return operand(e, intFields, func(v ref.Val) (int64, bool) { i, ok := v.(types.Int); return int64(i), ok })
}

func stringOperand(e celast.Expr) func(*customer.Features) string {
	// Cloned so that the predicate does not keep the parsed expression alive.
	return operand(e, stringFields, func(v ref.Val) (string, bool) { s, ok := v.(types.String); return strings.Clone(string(s)), ok })
}

func boolOperand(e celast.Expr) func(*customer.Features) bool {
	return operand(e, boolFields, func(v ref.Val) (bool, bool) { b, ok := v.(types.Bool); return bool(b), ok })
}

// operand returns the reader of e: the field's from fields for a field, a
// constant for a literal that literal converts, else nil.
func operand[T any, R ~func(*customer.Features) T](e celast.Expr, fields map[string]R, literal func(ref.Val) (T, bool)) R {
	switch e.Kind() {
	case celast.IdentKind:
		return fields[e.AsIdent()]
	case celast.LiteralKind:
		if v, ok := literal(e.AsLiteral()); ok {
			return func(*customer.Features) T { return v }
		}
	}
	return nil
}
