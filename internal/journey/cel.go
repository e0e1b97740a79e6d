package journey

import (
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/segment"
)

// Condition is a compiled CEL boolean for branch, exit and goal: the segment
// language (customer.recencyDays, customer.loyaltyTier, ...) plus the journey
// variables journey.step, journey.enteredAt, journey.sends,
// journey.converted and journey.daysInJourney (segment.WithJourney) and the
// triggering event, event.type and event.properties (segment.WithEvent), so
// a playbook condition reads like a segment and is type-checked the same way.
type Condition struct {
	src string
	prg *segment.Program
}

// CompileCondition parses and type-checks a CEL expression that must yield a
// bool. The error carries CEL's message and position.
func CompileCondition(expr string) (*Condition, error) {
	prg, err := segment.CompileWith(expr, segment.WithJourney(), segment.WithEvent())
	if err != nil {
		return nil, err
	}
	return &Condition{src: expr, prg: prg}, nil
}

// CompileEventFilter compiles an event trigger's where: the customer and
// event variables, no journey (there is none yet).
func CompileEventFilter(expr string) (*Condition, error) {
	prg, err := segment.CompileWith(expr, segment.WithEvent())
	if err != nil {
		return nil, err
	}
	return &Condition{src: expr, prg: prg}, nil
}

// Eval runs the condition for one customer and journey state at now;
// daysInJourney = (now - enteredAt) / 24h.
func (c *Condition) Eval(f *customer.Features, st *State, now time.Time) (bool, error) {
	j, ev := &segment.Journey{}, celEvent(nil)
	if st != nil {
		j = &segment.Journey{Step: st.StepName, EnteredAt: st.EnteredAt, Sends: int64(st.Sends),
			Converted: st.Converted, DaysInJourney: now.Sub(st.EnteredAt).Hours() / 24}
		ev = celEvent(st.Event)
	}
	ok, err := c.prg.MatchesEvent(f, j, ev)
	if err != nil {
		return false, fmt.Errorf("evaluate %q: %w", c.src, err)
	}
	return ok, nil
}

// EvalEvent runs an event filter for one customer and event.
func (c *Condition) EvalEvent(f *customer.Features, ev *TriggerEvent) (bool, error) {
	ok, err := c.prg.MatchesEvent(f, nil, celEvent(ev))
	if err != nil {
		return false, fmt.Errorf("evaluate %q: %w", c.src, err)
	}
	return ok, nil
}

// CustomerVars is the data templates see: the segment language's customer
// fields by the same lowerCamel names ({{.email}}, {{.loyaltyTier}},
// {{.attributes.firstName}}).
func CustomerVars(f *customer.Features) map[string]any {
	attrs := map[string]string{}
	for k, v := range f.Attributes {
		attrs[k] = v
	}
	return map[string]any{
		"id": f.ID, "email": f.Email, "timeZone": f.TimeZone,
		"recencyDays": f.RecencyDays, "frequency": f.Frequency, "monetary": f.Monetary,
		"averageOrderValue": f.AverageOrderValue, "tenureDays": f.TenureDays,
		"windowOrders": f.WindowOrders, "windowSpend": f.WindowSpend,
		"firstOrderAt": f.FirstOrderAt, "lastOrderAt": f.LastOrderAt, "createdAt": f.CreatedAt,
		"nps": f.NPS, "loyaltyTier": f.LoyaltyTier, "loyaltyPoints": f.LoyaltyPoints,
		"churnProbability": f.ChurnProbability, "predictedCLV": f.PredictedCLV,
		"consentEmail": f.ConsentEmail, "consentSMS": f.ConsentSMS,
		"attributes": attrs,
	}
}
