package segment

import (
	"errors"
	"fmt"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"
)

// MaxCost bounds one evaluation of a criteria (or playbook condition) for
// one customer, in CEL cost units (roughly one per variable read, operator
// or comprehension step; about 50 ns each here). It is enforced twice, as
// Kubernetes does for its own CEL: the estimated worst case must fit at
// compile time (so the Segment or Playbook is refused before anything runs),
// and the actual cost is tracked at run time (so data larger than the size
// hints below cannot run away either). Typical criteria cost under 100.
const MaxCost = 100_000

// The estimate needs the largest size customer data may have; these are the
// sizes it assumes. Data beyond them is still bounded, by the run-time limit.
const (
	// attributesSizeHint is the number of entries in customer.attributes
	// (one per extra column of the customer table).
	attributesSizeHint = 100
	// eventPropertiesSizeHint is the number of entries in event.properties
	// and in any list or map inside it (a cart's items).
	eventPropertiesSizeHint = 100
	// stringSizeHint is the length of any string field or attribute value.
	stringSizeHint = 1024
)

// sizeHints tells the cost estimator how large customer data can be.
type sizeHints struct{}

func (sizeHints) EstimateSize(n cost.AstNode) *cost.SizeEstimate {
	path := n.Path()
	switch {
	case len(path) == 0:
		return nil
	case len(path) == 1 && path[0] == "customer.attributes":
		return &cost.SizeEstimate{Max: attributesSizeHint}
	case path[0] == "event.properties":
		// The properties object and every list or map under it.
		return &cost.SizeEstimate{Max: eventPropertiesSizeHint}
	case n.Type() != nil && n.Type().IsExactType(types.StringType):
		return &cost.SizeEstimate{Max: stringSizeHint}
	}
	return nil
}

func (sizeHints) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil // the standard function costs
}

// noHints leaves every size unknown, so an estimate made with it is bounded
// only when the cost does not depend on the data at all.
type noHints struct{}

func (noHints) EstimateSize(cost.AstNode) *cost.SizeEstimate { return nil }
func (noHints) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}

// checkCost refuses an expression whose estimated worst case exceeds
// MaxCost. track reports whether evaluation must count the actual cost: not
// when the limit holds whatever the data's size (most criteria, which read
// fields and compare numbers), since cost tracking doubles their time.
func checkCost(env *cel.Env, ast *cel.Ast) (track bool, err error) {
	est, err := env.EstimateCost(ast, sizeHints{})
	if err != nil {
		return false, &CriteriaError{Message: fmt.Sprintf("cannot estimate the evaluation cost: %v", err)}
	}
	if est.Max <= MaxCost {
		unhinted, err := env.EstimateCost(ast, noHints{})
		return err != nil || unhinted.Max > MaxCost, nil
	}
	line, col := startOf(ast)
	return false, &CriteriaError{
		Message: fmt.Sprintf("estimated cost %s exceeds the limit of %d per customer; nest fewer comprehensions (all, exists, exists_one, map, filter) or iterate over shorter lists",
			costText(est.Max), MaxCost),
		Line: line, Column: col,
	}
}

// costText prints an estimate; an unbounded one says so instead of 18446744073709551615.
func costText(c uint64) string {
	if c == ^uint64(0) {
		return "unbounded"
	}
	return fmt.Sprint(c)
}

// evalError turns cel-go's cancellation at the run-time limit into a
// message saying which limit and what to do; other errors pass through.
func evalError(expr string, err error) error {
	var cancelled interpreter.EvalCancelledError
	if errors.As(err, &cancelled) && cancelled.Cause == interpreter.CostLimitExceeded {
		return fmt.Errorf("segment: evaluate %q: stopped at the cost limit of %d per customer; this customer's data is larger than the criteria was estimated for (%d attributes, strings of %d bytes): simplify the criteria",
			expr, MaxCost, attributesSizeHint, stringSizeHint)
	}
	return fmt.Errorf("segment: evaluate %q: %w", expr, err)
}
