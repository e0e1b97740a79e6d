package datasource

import (
	"fmt"
	"sort"
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

// parseTimestamp reads s with layout, or with the flexible layouts when layout
// is empty. The error names the value and the layout so the fix is obvious.
func parseTimestamp(s, layout string) (time.Time, error) {
	if layout != "" {
		t, err := time.Parse(layout, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("timestamp %q does not match layout %s", s, layout)
		}
		return t.UTC(), nil
	}
	for _, l := range flexibleLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q matches none of RFC 3339, 2006-01-02 15:04:05, 2006-01-02, 20060102; set columns.timestampLayout", s)
}

// parseAmount reads a non-negative decimal amount. Files carry no refund
// convention, so a negative amount is an error rather than a silent refund.
func parseAmount(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimPrefix(s, "$"), 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q is not a number", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("amount %s is negative; file sources do not accept refunds, remove the row or net it into its order", s)
	}
	return v, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "", "0", "false", "f", "no", "n":
		return false, nil
	case "1", "true", "t", "yes", "y":
		return true, nil
	}
	return false, fmt.Errorf("%q is not a boolean (true/false, 1/0, yes/no)", s)
}

func sortStrings(s []string) { sort.Strings(s) }
