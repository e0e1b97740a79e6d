package segment

import (
	"errors"
	"fmt"

	"cel.dev/cel-go/common/types"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// Matches reports whether one customer satisfies the criteria. A runtime
// error (e.g. customer.attributes["plan"] when the key is absent) is returned
// as an error naming the expression; callers treat such a customer as not
// matching and count it.
func (p *Program) Matches(f *customer.Features) (bool, error) {
	return p.eval(f, nil, nil)
}

// MatchesJourney evaluates a condition compiled WithJourney for one customer
// in one journey.
func (p *Program) MatchesJourney(f *customer.Features, j *Journey) (bool, error) {
	if p.journey && j == nil {
		return false, errors.New("segment: condition reads journey variables but no journey was supplied")
	}
	return p.MatchesEvent(f, j, nil)
}

// MatchesEvent evaluates a condition compiled WithEvent (and possibly
// WithJourney) for one customer, journey and triggering event. A journey
// without a triggering event (e.g. enrolled by segment entry) reads
// event.type as "" and event.properties as empty.
func (p *Program) MatchesEvent(f *customer.Features, j *Journey, e *Event) (bool, error) {
	if p.journey && j == nil {
		return false, errors.New("segment: condition reads journey variables but no journey was supplied")
	}
	if p.event && e == nil {
		e = &Event{}
	}
	return p.eval(f, j, e)
}

func (p *Program) eval(f *customer.Features, j *Journey, e *Event) (bool, error) {
	if f == nil {
		return false, errors.New("segment: nil customer features")
	}
	if p.fast != nil {
		return p.fast(f), nil
	}
	return p.evalEvent(f, j, e)
}

// evalEvent runs the cel-go interpreter over a pooled activation (the
// path every expression the fast path cannot compile takes).
func (p *Program) evalEvent(f *customer.Features, j *Journey, e *Event) (bool, error) {
	a := p.activations.Get().(*activation)
	a.f, a.j, a.e = f, j, e
	ok, err := p.run(a)
	a.f, a.j, a.e = nil, nil, nil
	p.activations.Put(a)
	return ok, err
}

// run evaluates the program against a filled activation.
func (p *Program) run(a *activation) (bool, error) {
	out, _, err := p.program.Eval(a)
	if err != nil {
		return false, evalError(p.expr, err)
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("segment: %q evaluated to %s, want bool", p.expr, out.Type())
	}
	return bool(b), nil
}
