package segment

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// TestFastPathAgreesWithInterpreter compares the struct-reading fast path
// with the cel-go interpreter on generated criteria and rows, including NaN
// and infinite doubles.
func TestFastPathAgreesWithInterpreter(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	rows := generatedRows(r, 200)
	for i := 0; i < len(rows); i += 7 {
		rows[i].RecencyDays = math.NaN()
		rows[i+1].Monetary = math.Inf(1)
		rows[i+2].ChurnProbability = math.Inf(-1)
	}
	gen := exprGenerator{r: r}
	for n := 0; n < 500; n++ {
		expr := gen.expr(3)
		p, err := Compile(expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", expr, err)
		}
		if p.fast == nil {
			t.Fatalf("no fast path for %q, which is inside the subset", expr)
		}
		for i := range rows {
			got, gotErr := p.Matches(&rows[i])
			want, wantErr := p.evalCEL(&rows[i], nil)
			if got != want || (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("%q on row %s: Matches = %v, %v; interpreter = %v, %v", expr, rows[i].ID, got, gotErr, want, wantErr)
			}
		}
	}
}

func TestFastPathCoverage(t *testing.T) {
	tests := []struct {
		expr     string
		wantFast bool
	}{
		{typicalCriteria, true},
		{"customer.loyaltyTier in ['gold'] && !customer.consentSMS", true},
		{"customer.consentEmail", true},
		{"customer.attributes['plan'] == 'pro'", false},
		{"customer.monetary / 2.0 > 1.0", false},
		{"customer.lastOrderAt > timestamp('2026-01-01T00:00:00Z')", false},
		{"customer.frequency in [1, 2.0]", false}, // heterogeneous list: CEL's numeric equality decides
	}
	for _, tt := range tests {
		p, err := Compile(tt.expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tt.expr, err)
		}
		if (p.fast != nil) != tt.wantFast {
			t.Errorf("fast path for %q = %v, want %v", tt.expr, p.fast != nil, tt.wantFast)
		}
	}
}

func TestNaNComparesFalseLikeCEL(t *testing.T) {
	nan := &customer.Features{RecencyDays: math.NaN()}
	for _, tt := range []struct {
		expr string
		want bool
	}{
		{"customer.recencyDays > 90.0", false},
		{"customer.recencyDays <= 90.0", false},
		{"customer.recencyDays == customer.recencyDays", false},
		{"customer.recencyDays != customer.recencyDays", true},
		{"!(customer.recencyDays > 90.0)", true},
	} {
		p, err := Compile(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Matches(nan)
		want, wantErr := p.evalCEL(nan, nil)
		if err != nil || wantErr != nil || got != tt.want || want != tt.want {
			t.Errorf("%s on NaN: fast = %v, %v; interpreter = %v, %v; want %v", tt.expr, got, err, want, wantErr, tt.want)
		}
	}
}
