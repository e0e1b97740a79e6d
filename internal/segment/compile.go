package segment

import (
	"errors"
	"fmt"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common"
)

// Program is a compiled, type-checked criteria. It is safe for concurrent use.
type Program struct {
	expr    string
	ast     *cel.Ast
	program cel.Program
	journey bool
	event   bool
	// costTracked: evaluation stops at MaxCost (only where the cost depends
	// on the size of the data; see checkCost).
	costTracked bool
	// fast evaluates criteria in the ToSQL subset without the interpreter;
	// nil for anything else.
	fast fastPredicate
	// activations recycles evaluation inputs so Matches allocates nothing per customer.
	activations sync.Pool
}

// Option adds declarations to the environment a criteria is compiled in.
type Option func(*config)

type config struct {
	journey bool
	event   bool
}

// WithJourney declares the journey variables playbook branch and exit
// conditions read: journey.step (string), journey.enteredAt (timestamp),
// journey.sends (int), journey.converted (bool), journey.daysInJourney (double).
// Their values come from the *Journey passed to MatchesJourney.
func WithJourney() Option {
	return func(c *config) { c.journey = true }
}

// WithEvent declares the triggering event's variables: event.type (string)
// and event.properties (map of string to dyn). Their values come from the
// *Event passed to MatchesEvent.
func WithEvent() Option {
	return func(c *config) { c.event = true }
}

// envCache holds one environment per configuration; building an environment
// costs far more than checking one expression.
var envCache sync.Map // config -> *cel.Env

func envFor(cfg config) (*cel.Env, error) {
	if env, ok := envCache.Load(cfg); ok {
		return env.(*cel.Env), nil
	}
	env, err := newEnv(cfg)
	if err != nil {
		return nil, err
	}
	actual, _ := envCache.LoadOrStore(cfg, env)
	return actual.(*cel.Env), nil
}

// Compile parses and type-checks a segment criteria over the customer
// variables. Errors are *CriteriaError with CEL's message and position.
func Compile(expr string) (*Program, error) {
	return CompileWith(expr)
}

// CompileWith is Compile with extra declarations (e.g. WithJourney()).
func CompileWith(expr string, opts ...Option) (*Program, error) {
	var cfg config
	for _, opt := range opts {
		opt(&cfg)
	}
	env, err := envFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("segment: build CEL environment: %w", err)
	}
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		return nil, issuesError(iss)
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		line, col := startOf(ast)
		return nil, &CriteriaError{
			Message: fmt.Sprintf("criteria must evaluate to bool, got %s", ast.OutputType()),
			Line:    line, Column: col,
		}
	}
	// The estimate comes before Program: OptOptimize already evaluates
	// constant parts while planning.
	track, err := checkCost(env, ast)
	if err != nil {
		return nil, err
	}
	popts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	if track {
		popts = append(popts, cel.CostLimit(MaxCost))
	}
	prg, err := env.Program(ast, popts...)
	if err != nil {
		// OptOptimize folds constant calls while planning, so a bad literal such
		// as timestamp('') surfaces here; it is still the user's criteria to fix.
		return nil, &CriteriaError{Message: err.Error()}
	}
	p := &Program{expr: expr, ast: ast, program: prg, journey: cfg.journey, event: cfg.event, costTracked: track, fast: compileFast(ast.NativeRep())}
	p.activations.New = func() any { return new(activation) }
	return p, nil
}

// Expr returns the source text the program was compiled from.
func (p *Program) Expr() string { return p.expr }

// issuesError keeps the first CEL issue (the one a user fixes first) with its
// position; CEL columns are 0-based, displayed 1-based, and so are ours.
func issuesError(iss *cel.Issues) error {
	errs := iss.Errors()
	if len(errs) == 0 {
		return &CriteriaError{Message: iss.String()}
	}
	first := errs[0]
	return &CriteriaError{Message: first.Message, Line: lineOf(first), Column: columnOf(first)}
}

func lineOf(e *common.Error) int {
	if e.Location == nil || e.Location.Line() <= 0 {
		return 0
	}
	return e.Location.Line()
}

func columnOf(e *common.Error) int {
	if e.Location == nil || e.Location.Line() <= 0 {
		return 0
	}
	return max(e.Location.Column()+1, 1) // CEL reports -1 at end of empty input
}

// startOf is the 1-based line:column where the whole expression starts.
func startOf(ast *cel.Ast) (int, int) {
	native := ast.NativeRep()
	loc := native.SourceInfo().GetStartLocation(native.Expr().ID())
	if loc.Line() <= 0 {
		return 0, 0
	}
	return loc.Line(), loc.Column() + 1
}

// AsCriteriaError unwraps err into a *CriteriaError when it is one.
func AsCriteriaError(err error) (*CriteriaError, bool) {
	var ce *CriteriaError
	ok := errors.As(err, &ce)
	return ce, ok
}
