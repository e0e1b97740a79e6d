package datasource

import (
	"strconv"
	"strings"
	"time"
)

// CustomerFeatureQuery is the features query as of asOf over window,
// restricted to the customers ids ("id" IN ($1, ...)): the campaign worker
// reads the rows of the few customers it needs that the metric job's
// snapshot does not carry, instead of every customer. File sources ignore
// Where, so callers still filter the rows they get by id.
func CustomerFeatureQuery(asOf time.Time, window time.Duration, ids []string) FeatureQuery {
	var b strings.Builder
	b.WriteString(`"id" IN (`)
	args := make([]any, len(ids))
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(i+1))
		args[i] = id
	}
	b.WriteString(")")
	return FeatureQuery{AsOf: asOf, Window: window, Where: b.String(), Args: args}
}
