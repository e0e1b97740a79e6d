package v1alpha1

import (
	"fmt"
	"math"
	"strconv"
)

// Parse turns the Decimal into a float64; field names it in the error, e.g.
// "spec.goal.minOrderAmount". The schema's pattern already refuses what this
// refuses; Parse is the same rule for callers that bypass admission.
func (d Decimal) Parse(field string) (float64, error) {
	v, err := strconv.ParseFloat(string(d), 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf(`%s %q is not a non-negative decimal number such as "0.01" or "50"`, field, string(d))
	}
	return v, nil
}
