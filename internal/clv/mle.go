package clv

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/optimize"
)

// FitStats describes how a maximum-likelihood fit ended.
type FitStats struct {
	// LogLikelihood is the total log-likelihood at the optimum.
	LogLikelihood float64
	Iterations    int
	Evaluations   int
	// Status is gonum's termination status (GradientThreshold,
	// FunctionConvergence, ...) or FlatGradient when the line search stalled
	// at a point with a negligible gradient, e.g. parameters drifting to a
	// boundary where the likelihood flattens out.
	Status string
}

// logLikelihoodGrad evaluates the total log-likelihood at natural parameters
// params and writes its gradient with respect to them into grad.
type logLikelihoodGrad func(params, grad []float64) float64

// maximizeLogParams maximises a log-likelihood over positive parameters by
// minimising -LL/n over θ = ln(params) with BFGS, n being the number of
// customers. Working in logs keeps every step inside the domain without
// bounds; the chain rule gives ∂(-LL/n)/∂θ_i = -params_i · ∂LL/∂params_i / n.
// Dividing by n makes the gradient tolerance independent of the data size.
func maximizeLogParams(eval logLikelihoodGrad, init []float64, n float64) ([]float64, FitStats, error) {
	dim := len(init)
	theta0 := make([]float64, dim)
	for i, p := range init {
		theta0[i] = math.Log(p)
	}
	// BFGS asks for Func and Grad at the same point one after the other; one
	// evaluation computes both, so cache the last point.
	var (
		lastTheta = make([]float64, dim)
		lastNegLL = math.NaN()
		lastGrad  = make([]float64, dim)
		params    = make([]float64, dim)
		natGrad   = make([]float64, dim)
		evals     int
	)
	evalAt := func(theta []float64) {
		if !math.IsNaN(lastNegLL) && slices.Equal(theta, lastTheta) {
			return
		}
		evals++
		for i, t := range theta {
			params[i] = math.Exp(t)
		}
		ll := eval(params, natGrad)
		copy(lastTheta, theta)
		lastNegLL = -ll / n
		for i := range natGrad {
			lastGrad[i] = -params[i] * natGrad[i] / n
		}
		// A non-finite value (e.g. a parameter underflowing to 0) must look
		// like a wall to the line search, not like a minimum.
		if math.IsNaN(lastNegLL) || math.IsInf(lastNegLL, 0) {
			lastNegLL = math.Inf(1)
		}
	}
	problem := optimize.Problem{
		Func: func(theta []float64) float64 { evalAt(theta); return lastNegLL },
		Grad: func(grad, theta []float64) { evalAt(theta); copy(grad, lastGrad) },
	}
	settings := &optimize.Settings{
		GradientThreshold: 1e-9,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-14, Relative: 1e-14, Iterations: 20},
		MajorIterations:   1000,
	}
	res, err := optimize.Minimize(problem, theta0, settings, &optimize.BFGS{})
	if res == nil {
		return nil, FitStats{}, fmt.Errorf("maximum-likelihood fit failed: %w", err)
	}
	stats := FitStats{LogLikelihood: -res.F * n, Iterations: res.MajorIterations, Evaluations: evals, Status: res.Status.String()}
	// Line searches that stall at the optimum (floating-point noise) still
	// leave the best point found; accept it when the gradient of the mean
	// log-likelihood is flat. This also accepts fits that drift towards a
	// boundary where the likelihood flattens out (e.g. no spend heterogeneity
	// sends q and v of Gamma-Gamma to infinity with pv/q fixed); their
	// predictions are those of the limiting model.
	stalled := errors.Is(err, optimize.ErrLinesearcherFailure) || errors.Is(err, optimize.ErrNoProgress) || errors.Is(err, optimize.ErrNonDescentDirection)
	if err != nil && !(stalled && maxAbs(res.Gradient) < 1e-5) {
		return nil, stats, fmt.Errorf("maximum-likelihood fit failed after %d iterations: %w", res.MajorIterations, err)
	}
	if err != nil {
		stats.Status = "FlatGradient (line search stalled where the gradient is flat)"
	}
	if math.IsInf(res.F, 0) || math.IsNaN(res.F) {
		return nil, stats, errors.New("maximum-likelihood fit found no finite log-likelihood: the data may be degenerate (e.g. no repeat purchases)")
	}
	out := make([]float64, dim)
	for i, t := range res.X {
		out[i] = math.Exp(t)
	}
	return out, stats, nil
}

func maxAbs(v []float64) float64 {
	var m float64
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	return m
}
