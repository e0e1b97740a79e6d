package segment

import (
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name, expr, wantMessage string
		wantLine, wantColumn    int
	}{
		{"unknown field names the field and its position", "customer.frequency > 1 && customer.recncyDays > 90.0", "undeclared reference to 'customer.recncyDays' (did you mean 'customer.recencyDays'?)", 1, 35},
		{"type error int vs double", "customer.frequency > 1.5", "found no matching overload for '_>_' applied to '(int, double)'", 1, 20},
		{"non-bool result names the type", "customer.monetary * 2.0", "criteria must evaluate to bool, got double", 1, 19}, // CEL places a call at its operator
		{"syntax error on second line", "customer.frequency > 1 &&\n  customer.monetary >", "Syntax error", 2, 22},
		{"empty expression", "", "Syntax error", 1, 1},
		{"bad constant folded while planning (no position from CEL)", "customer.lastOrderAt > timestamp('')", "invalid RFC 3339 timestamp", 0, 0},
		{"journey variable without WithJourney", "journey.sends > 2", "undeclared reference to 'journey'", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.expr)
			if err == nil {
				t.Fatalf("Compile(%q) succeeded, want error", tt.expr)
			}
			ce, ok := AsCriteriaError(err)
			if !ok {
				t.Fatalf("error %T %v is not a *CriteriaError", err, err)
			}
			if !strings.Contains(ce.Message, tt.wantMessage) {
				t.Errorf("message = %q, want it to contain %q", ce.Message, tt.wantMessage)
			}
			if ce.Line != tt.wantLine || ce.Column != tt.wantColumn {
				t.Errorf("position = %d:%d, want %d:%d (error %v)", ce.Line, ce.Column, tt.wantLine, tt.wantColumn, err)
			}
		})
	}
}
