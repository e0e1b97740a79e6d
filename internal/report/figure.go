package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Figure is a number a report carries: a metric, a rate in percent, a
// liability. Workers write the number as it was computed; the controllers
// (and the CLI) format it with String when they put it into status, so a
// gauge is set from the value itself and never from text parsed back.
type Figure float64

// String formats the figure the way status shows it: two decimals, and
// "0.00" rather than "-0.00" for a negative zero.
func (f Figure) String() string {
	s := strconv.FormatFloat(float64(f), 'f', 2, 64)
	if s == "-0.00" {
		return "0.00"
	}
	return s
}

// UnmarshalJSON reads a JSON number, and also the quoted two-decimal string
// that reports carried before they carried numbers, so a controller
// upgraded before its workers' next run still folds the report it finds.
func (f *Figure) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(b, []byte(`"`)) {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("figure %q is not a number", s)
		}
		*f = Figure(v)
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = Figure(v)
	return nil
}

// Decimals formats a report's figures for status, by name.
func Decimals(figures map[string]Figure) map[string]string {
	if len(figures) == 0 {
		return nil
	}
	out := make(map[string]string, len(figures))
	for name, v := range figures {
		out[name] = v.String()
	}
	return out
}
