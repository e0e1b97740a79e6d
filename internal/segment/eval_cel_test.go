package segment

import "github.com/retention-dev/retention-operator/internal/customer"

// evalCEL runs the cel-go interpreter even where the fast path would answer:
// the oracle the fast-path tests and benchmarks compare against.
func (p *Program) evalCEL(f *customer.Features, j *Journey) (bool, error) {
	return p.evalEvent(f, j, nil)
}
