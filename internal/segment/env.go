package segment

import (
	"maps"
	"slices"

	"cel.dev/cel-go/cel"
)

// customerFields maps each declared customer variable to its CEL type. The
// names are the customer.Features fields in lowerCamel case; ToSQL uses the
// part after "customer." as the (double-quoted) SQL column name.
var customerFields = map[string]*cel.Type{
	"customer.id":                cel.StringType,
	"customer.email":             cel.StringType,
	"customer.timeZone":          cel.StringType,
	"customer.recencyDays":       cel.DoubleType,
	"customer.frequency":         cel.IntType,
	"customer.monetary":          cel.DoubleType,
	"customer.averageOrderValue": cel.DoubleType,
	"customer.tenureDays":        cel.DoubleType,
	"customer.windowOrders":      cel.IntType,
	"customer.windowSpend":       cel.DoubleType,
	"customer.firstOrderAt":      cel.TimestampType,
	"customer.lastOrderAt":       cel.TimestampType,
	"customer.createdAt":         cel.TimestampType,
	"customer.nps":               cel.IntType,
	"customer.loyaltyTier":       cel.StringType,
	"customer.loyaltyPoints":     cel.IntType,
	"customer.churnProbability":  cel.DoubleType,
	"customer.predictedCLV":      cel.DoubleType,
	"customer.consentEmail":      cel.BoolType,
	"customer.consentSMS":        cel.BoolType,
	"customer.attributes":        cel.MapType(cel.StringType, cel.StringType),
}

// journeyFields are the variables WithJourney adds for playbook conditions.
var journeyFields = map[string]*cel.Type{
	"journey.step":          cel.StringType,
	"journey.enteredAt":     cel.TimestampType,
	"journey.sends":         cel.IntType,
	"journey.converted":     cel.BoolType,
	"journey.daysInJourney": cel.DoubleType,
}

// eventFields are the variables WithEvent adds: the triggering event of an
// event-triggered playbook. Properties are dyn because their shape is the
// sender's: event.properties.total > 100.0, event.properties.items.size() > 0.
var eventFields = map[string]*cel.Type{
	"event.type":       cel.StringType,
	"event.properties": cel.MapType(cel.StringType, cel.DynType),
}

// variableOptions turns a name->type table into cel.Variable options in a
// stable order (map order would make environments differ run to run).
func variableOptions(fields map[string]*cel.Type) []cel.EnvOption {
	names := slices.Sorted(maps.Keys(fields))
	opts := make([]cel.EnvOption, 0, len(names))
	for _, name := range names {
		opts = append(opts, cel.Variable(name, fields[name]))
	}
	return opts
}

// newEnv builds the CEL environment for one configuration.
func newEnv(cfg config) (*cel.Env, error) {
	opts := variableOptions(customerFields)
	if cfg.journey {
		opts = append(opts, variableOptions(journeyFields)...)
	}
	if cfg.event {
		opts = append(opts, variableOptions(eventFields)...)
	}
	return cel.NewEnv(opts...)
}
