package report

import (
	"encoding/json"
	"math"
	"testing"
)

// A report carries numbers; a report written by an older worker carried
// quoted decimals, and both read as the same figures.
func TestFigureReadsNumbersAndOlderDecimals(t *testing.T) {
	for in, want := range map[string]Loyalty{
		`{"liability":4.4,"redemptionRate":18.518518,"repeatRateMembers":33.333333}`: {Liability: 4.4, RedemptionRate: 18.518518},
		`{"liability":"4.40","redemptionRate":"18.52","repeatRateMembers":"33.33"}`:  {Liability: 4.4, RedemptionRate: 18.52},
	} {
		var got Loyalty
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got.Liability != want.Liability || got.RedemptionRate != want.RedemptionRate || got.RepeatRateMembers == nil {
			t.Errorf("%s: got %+v", in, got)
		}
		if s := []string{got.Liability.String(), got.RedemptionRate.String(), got.RepeatRateMembers.String()}; s[0] != "4.40" || s[1] != "18.52" || s[2] != "33.33" {
			t.Errorf("%s: formatted %v, want [4.40 18.52 33.33]", in, s)
		}
	}
	var bad Loyalty
	if err := json.Unmarshal([]byte(`{"liability":"lots"}`), &bad); err == nil {
		t.Error("a liability of \"lots\" was read as a figure")
	}
}

func TestFigureString(t *testing.T) {
	for v, want := range map[float64]string{-0.001: "0.00", math.Copysign(0, -1): "0.00", 2.005: "2.00", 71.2: "71.20", -3.256: "-3.26"} {
		if got := Figure(v).String(); got != want {
			t.Errorf("Figure(%v) = %q, want %q", v, got, want)
		}
	}
	if got := Decimals(map[string]Figure{"nps": 32}); got["nps"] != "32.00" || len(got) != 1 {
		t.Errorf("Decimals = %v", got)
	}
	if Decimals(nil) != nil {
		t.Error("no figures should give nil, so status keeps no empty map")
	}
}
