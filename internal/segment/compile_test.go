package segment

import (
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name        string
		expr        string
		wantMessage string
		wantLine    int
		wantColumn  int
	}{
		{
			name:        "unknown field names the field and its position",
			expr:        "customer.frequency > 1 && customer.recncyDays > 90.0",
			wantMessage: "undeclared reference to 'customer.recncyDays' (did you mean 'customer.recencyDays'?)",
			wantLine:    1, wantColumn: 35,
		},
		{
			name:        "type error int vs double",
			expr:        "customer.frequency > 1.5",
			wantMessage: "found no matching overload for '_>_' applied to '(int, double)'",
			wantLine:    1, wantColumn: 20,
		},
		{
			name:        "non-bool result names the type",
			expr:        "customer.monetary * 2.0",
			wantMessage: "criteria must evaluate to bool, got double",
			wantLine:    1, wantColumn: 19, // CEL places a call at its operator
		},
		{
			name:        "syntax error on second line",
			expr:        "customer.frequency > 1 &&\n  customer.monetary >",
			wantMessage: "Syntax error",
			wantLine:    2, wantColumn: 22,
		},
		{
			name:        "empty expression",
			expr:        "",
			wantMessage: "Syntax error",
			wantLine:    1, wantColumn: 1,
		},
		{
			name:        "bad constant folded while planning (no position from CEL)",
			expr:        "customer.lastOrderAt > timestamp('')",
			wantMessage: "invalid RFC 3339 timestamp",
			wantLine:    0, wantColumn: 0,
		},
		{
			name:        "journey variable without WithJourney",
			expr:        "journey.sends > 2",
			wantMessage: "undeclared reference to 'journey'",
			wantLine:    1, wantColumn: 1,
		},
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
