package datasource

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// flexibleLayouts are tried in order when no timestamp layout is configured.
// Zone-less forms are read as UTC.
var flexibleLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
	"20060102",
}

// Years outside [minYear, maxYear] are refused: 0001-01-01 and 9999-12-31
// are placeholders ("unknown", "never"), not dates, and folded into recency
// or tenure they turn into centuries.
const (
	minYear = 1900
	maxYear = 2200
)

// parseTimestamp reads s with layout, or with the flexible layouts when layout
// is empty. The error names the value (through cell) and the layout so the
// fix is obvious.
func parseTimestamp(s, layout string) (time.Time, error) {
	return parseTimestampShown(s, layout, cell)
}

// parseTimestampShown is parseTimestamp with the value rendered by show
// (withheld for customer fields).
func parseTimestampShown(s, layout string, show func(string) string) (time.Time, error) {
	t, err := parseTime(s, layout)
	if err != nil {
		if layout != "" {
			return time.Time{}, fmt.Errorf("timestamp %s does not match layout %s", show(s), layout)
		}
		return time.Time{}, fmt.Errorf("timestamp %s matches none of RFC 3339, 2006-01-02 15:04:05, 2006-01-02, 20060102; set columns.timestampLayout", show(s))
	}
	if y := t.Year(); y < minYear || y > maxYear {
		return time.Time{}, fmt.Errorf("timestamp %s: year %d is outside %d-%d; a placeholder date is not a date, leave the field empty or fix the row", show(s), y, minYear, maxYear)
	}
	return t, nil
}

func parseTime(s, layout string) (time.Time, error) {
	if layout != "" {
		t, err := time.Parse(layout, s)
		return t.UTC(), err
	}
	var err error
	for _, l := range flexibleLayouts {
		var t time.Time
		if t, err = time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, err
}

// maxAmount bounds one order's amount. No single order is worth a billion;
// a larger value is a unit mistake (cents as dollars, a concatenated column)
// or an overflow attempt (1e308 makes every sum +Inf).
const maxAmount = 1e9

// parseAmount reads a non-negative decimal amount (an optional leading $,
// digits, an optional fraction and exponent). NaN, Inf, hex floats (0x1p10)
// and digit separators are refused: strconv accepts them, and each would
// turn AOV and CLV into NaN, +Inf or a wrong figure. Files carry no refund
// convention, so a negative amount is an error rather than a silent refund.
func parseAmount(s string) (float64, error) {
	num := strings.TrimPrefix(s, "$")
	if !decimalNumber(num) {
		return 0, fmt.Errorf("amount %s is not a decimal number (such as 12.50)", cell(s))
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("amount %s is not a decimal number (such as 12.50)", cell(s))
	}
	if v < 0 {
		// s passed decimalNumber: a number, safe to show as is.
		return 0, fmt.Errorf("amount %s is negative; file sources do not accept refunds, remove the row or net it into its order", s)
	}
	if v > maxAmount {
		return 0, fmt.Errorf("amount %s is above %g; check the unit (cents?) and the column mapping", cell(s), float64(maxAmount))
	}
	return v, nil
}

// decimalNumber reports whether s is [-+]digits[.digits][(e|E)[-+]digits]
// with at least one digit before the exponent.
func decimalNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	mant := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		mant++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			mant++
		}
	}
	if mant == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		exp := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "", "0", "false", "f", "no", "n":
		return false, nil
	case "1", "true", "t", "yes", "y":
		return true, nil
	}
	return false, fmt.Errorf("not a boolean (true/false, 1/0, yes/no)")
}
