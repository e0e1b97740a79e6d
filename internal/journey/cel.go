package journey

import (
	"fmt"
	"time"

	"cel.dev/cel-go/cel"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// Condition is a compiled CEL boolean over `customer` (the feature row, field
// names as in segment expressions: recencyDays, frequency, ...) and `journey`
// (step, enteredAt, sends, converted, daysInJourney). It mirrors the variables
// segment.CompileWith offers so a playbook reads like a segment.
type Condition struct {
	src string
	prg cel.Program
}

var celEnv = func() *cel.Env {
	env, err := cel.NewEnv(
		cel.Variable("customer", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("journey", cel.MapType(cel.StringType, cel.DynType)),
	)
	if err != nil {
		panic(err) // static declarations; cannot fail at run time
	}
	return env
}()

// CompileCondition parses and type-checks a CEL expression that must yield a
// bool. The error carries the CEL diagnostics.
func CompileCondition(expr string) (*Condition, error) {
	ast, iss := celEnv.Compile(expr)
	if iss != nil && iss.Err() != nil {
		return nil, iss.Err()
	}
	if !ast.OutputType().IsExactType(cel.BoolType) && !ast.OutputType().IsExactType(cel.DynType) {
		return nil, fmt.Errorf("expression yields %s, want bool", ast.OutputType())
	}
	prg, err := celEnv.Program(ast)
	if err != nil {
		return nil, err
	}
	return &Condition{src: expr, prg: prg}, nil
}

// Eval runs the condition for one customer and journey state at now.
func (c *Condition) Eval(f *customer.Features, st *State, now time.Time) (bool, error) {
	out, _, err := c.prg.Eval(map[string]any{
		"customer": CustomerVars(f),
		"journey":  JourneyVars(st, now),
	})
	if err != nil {
		return false, fmt.Errorf("evaluate %q: %w", c.src, err)
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("evaluate %q: got %T, want bool", c.src, out.Value())
	}
	return b, nil
}

// CustomerVars is the `customer` map CEL expressions see.
func CustomerVars(f *customer.Features) map[string]any {
	attrs := map[string]any{}
	for k, v := range f.Attributes {
		attrs[k] = v
	}
	return map[string]any{
		"id": f.ID, "email": f.Email, "timeZone": f.TimeZone,
		"recencyDays": f.RecencyDays, "frequency": f.Frequency, "monetary": f.Monetary,
		"averageOrderValue": f.AverageOrderValue, "tenureDays": f.TenureDays,
		"windowOrders": f.WindowOrders, "windowSpend": f.WindowSpend,
		"nps": f.NPS, "loyaltyTier": f.LoyaltyTier, "loyaltyPoints": f.LoyaltyPoints,
		"churnProbability": f.ChurnProbability, "predictedCLV": f.PredictedCLV,
		"consentEmail": f.ConsentEmail, "consentSMS": f.ConsentSMS,
		"attributes": attrs,
	}
}

// JourneyVars is the `journey` map: step (name), enteredAt (RFC 3339), sends,
// converted and daysInJourney = (now - enteredAt) / 24h.
func JourneyVars(st *State, now time.Time) map[string]any {
	if st == nil {
		return map[string]any{"step": "", "enteredAt": "", "sends": int64(0), "converted": false, "daysInJourney": 0.0}
	}
	return map[string]any{
		"step":          st.StepName,
		"enteredAt":     st.EnteredAt.UTC().Format(time.RFC3339),
		"sends":         int64(st.Sends),
		"converted":     st.Converted,
		"daysInJourney": now.Sub(st.EnteredAt).Hours() / 24,
	}
}
