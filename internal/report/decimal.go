package report

import "strconv"

// Decimal formats a figure the way every report carries it: two decimals,
// and "0.00" rather than "-0.00" for a negative zero.
func Decimal(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	if s == "-0.00" {
		return "0.00"
	}
	return s
}
