package segment

import (
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// Journey is the playbook state a branch or exit condition may read.
type Journey struct {
	Step          string
	EnteredAt     time.Time
	Sends         int64
	Converted     bool
	DaysInJourney float64
}

// Event is the triggering event a condition compiled WithEvent reads.
// Properties hold JSON-like values (string, float64, bool, nil, []any,
// map[string]any), which CEL adapts as dyn.
type Event struct {
	Type       string
	Properties map[string]any
}

// activation hands CEL one customer's fields by qualified name. The switch
// returns CEL values built straight from the struct, so no map is built per
// customer (a map activation costs more than the comparisons themselves).
type activation struct {
	f *customer.Features
	j *Journey
	e *Event
}

var _ interpreter.Activation = (*activation)(nil)

// ResolveName implements interpreter.Activation.
func (a *activation) ResolveName(name string) (any, bool) {
	f := a.f
	switch name {
	case "customer.recencyDays":
		return types.Double(f.RecencyDays), true
	case "customer.frequency":
		return types.Int(f.Frequency), true
	case "customer.monetary":
		return types.Double(f.Monetary), true
	case "customer.averageOrderValue":
		return types.Double(f.AverageOrderValue), true
	case "customer.tenureDays":
		return types.Double(f.TenureDays), true
	case "customer.windowOrders":
		return types.Int(f.WindowOrders), true
	case "customer.windowSpend":
		return types.Double(f.WindowSpend), true
	case "customer.nps":
		return types.Int(f.NPS), true
	case "customer.loyaltyTier":
		return types.String(f.LoyaltyTier), true
	case "customer.loyaltyPoints":
		return types.Int(f.LoyaltyPoints), true
	case "customer.churnProbability":
		return types.Double(f.ChurnProbability), true
	case "customer.predictedCLV":
		return types.Double(f.PredictedCLV), true
	case "customer.consentEmail":
		return types.Bool(f.ConsentEmail), true
	case "customer.consentSMS":
		return types.Bool(f.ConsentSMS), true
	case "customer.id":
		return types.String(f.ID), true
	case "customer.email":
		return types.String(f.Email), true
	case "customer.timeZone":
		return types.String(f.TimeZone), true
	case "customer.firstOrderAt":
		return types.Timestamp{Time: f.FirstOrderAt}, true
	case "customer.lastOrderAt":
		return types.Timestamp{Time: f.LastOrderAt}, true
	case "customer.createdAt":
		return types.Timestamp{Time: f.CreatedAt}, true
	case "customer.attributes":
		if f.Attributes == nil {
			return map[string]string{}, true
		}
		return f.Attributes, true
	}
	if a.e != nil {
		switch name {
		case "event.type":
			return types.String(a.e.Type), true
		case "event.properties":
			if a.e.Properties == nil {
				return map[string]any{}, true
			}
			return a.e.Properties, true
		}
	}
	if a.j == nil {
		return nil, false
	}
	switch name {
	case "journey.step":
		return types.String(a.j.Step), true
	case "journey.enteredAt":
		return types.Timestamp{Time: a.j.EnteredAt}, true
	case "journey.sends":
		return types.Int(a.j.Sends), true
	case "journey.converted":
		return types.Bool(a.j.Converted), true
	case "journey.daysInJourney":
		return types.Double(a.j.DaysInJourney), true
	}
	return nil, false
}

// Parent implements interpreter.Activation; there is no parent scope.
func (a *activation) Parent() interpreter.Activation { return nil }
