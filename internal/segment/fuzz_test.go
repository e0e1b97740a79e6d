package segment

import "testing"

// FuzzCompile feeds arbitrary text through Compile, and whatever compiles
// through Matches, MatchesJourney and ToSQL: none of them may panic, a
// failed compile must always be a *CriteriaError, and the fast path must
// agree with the interpreter.
func FuzzCompile(f *testing.F) {
	for _, seed := range []string{
		typicalCriteria,
		"customer.recncyDays > 90.0",
		"customer.loyaltyTier in ['gold', 'platinum'] || !(customer.nps == -1)",
		"customer.attributes['plan'] == 'pro'",
		"journey.sends > 2 && journey.step == 'a'",
		"customer.lastOrderAt > timestamp('2026-01-01T00:00:00Z')",
		"customer.monetary / 0.0 > 1.0",
		"customer.frequency / 0 > 1",
		"[1, 2, 3].all(x, x > 0)",
		"((((",
		"",
		"\x00\xff",
		celBomb,
		"customer.attributes.exists(k, customer.attributes[k].contains('x'))",
	} {
		f.Add(seed)
	}
	row := lapsedVIP()
	journey := &Journey{Step: "a", Sends: 3}
	f.Fuzz(func(t *testing.T, expr string) {
		p, err := Compile(expr)
		if err != nil {
			if _, ok := AsCriteriaError(err); !ok {
				t.Fatalf("Compile(%q) error %T %v is not a *CriteriaError", expr, err, err)
			}
		} else {
			got, err := p.Matches(row)
			if p.fast != nil {
				// The fast path must agree with the interpreter on anything it accepts.
				want, wantErr := p.evalCEL(row, nil)
				if err != nil || wantErr != nil || got != want {
					t.Fatalf("%q: fast path = %v, %v; interpreter = %v, %v", expr, got, err, want, wantErr)
				}
			}
			_, _, _ = ToSQL(p, Postgres)
			_, _, _ = ToSQL(p, SQLite)
		}
		if jp, err := CompileWith(expr, WithJourney()); err == nil {
			_, _ = jp.MatchesJourney(row, journey)
		}
	})
}
