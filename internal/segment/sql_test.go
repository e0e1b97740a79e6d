package segment

import (
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestToSQL(t *testing.T) {
	tests := []struct {
		expr      string
		dialect   Dialect
		wantWhere string
		wantArgs  []any
	}{
		{
			expr:      "customer.recencyDays > 90.0 && customer.frequency >= 2 && customer.monetary > 100.0",
			dialect:   Postgres,
			wantWhere: `((("recencyDays" > $1::double precision) AND ("frequency" >= $2::bigint)) AND ("monetary" > $3::double precision))`,
			wantArgs:  []any{90.0, int64(2), 100.0},
		},
		{
			expr:      "customer.recencyDays > 90.0 && customer.frequency >= 2 && customer.monetary > 100.0",
			dialect:   SQLite,
			wantWhere: `((("recencyDays" > $1) AND ("frequency" >= $2)) AND ("monetary" > $3))`,
			wantArgs:  []any{90.0, int64(2), 100.0},
		},
		{
			expr:      "customer.loyaltyTier in ['gold', 'platinum'] || !(customer.nps == -1)",
			dialect:   Postgres,
			wantWhere: `(("loyaltyTier" COLLATE "C" IN ($1::text COLLATE "C", $2::text COLLATE "C")) OR (NOT ("nps" = $3::bigint)))`,
			wantArgs:  []any{"gold", "platinum", int64(-1)},
		},
		{
			expr:      "customer.consentEmail && customer.loyaltyTier < 'm'",
			dialect:   SQLite,
			wantWhere: `(("consentEmail" = $1) AND ("loyaltyTier" COLLATE BINARY < $2 COLLATE BINARY))`,
			wantArgs:  []any{int64(1), "m"},
		},
		{
			expr:      "customer.consentSMS != false",
			dialect:   Postgres,
			wantWhere: `("consentSMS" <> $1::boolean)`,
			wantArgs:  []any{false},
		},
		{
			expr:      "customer.frequency in []",
			dialect:   SQLite,
			wantWhere: `(1 = 0)`,
			wantArgs:  nil,
		},
		{
			expr:      "customer.windowSpend <= customer.monetary",
			dialect:   Postgres,
			wantWhere: `("windowSpend" <= "monetary")`,
			wantArgs:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			p, err := Compile(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			where, args, ok := ToSQL(p, tt.dialect)
			if !ok {
				t.Fatalf("ToSQL not ok, want %s", tt.wantWhere)
			}
			if where != tt.wantWhere {
				t.Errorf("where =\n  %s\nwant\n  %s", where, tt.wantWhere)
			}
			if !reflect.DeepEqual(args, tt.wantArgs) {
				t.Errorf("args = %#v, want %#v", args, tt.wantArgs)
			}
		})
	}
}

func TestToSQLRefusesWhatItCannotTranslateExactly(t *testing.T) {
	for _, expr := range []string{
		"customer.monetary / 2.0 > 10.0",                           // arithmetic: CEL errors on overflow, SQL does not
		"customer.attributes['plan'] == 'pro'",                     // missing key is a CEL error
		"'plan' in customer.attributes",                            // map membership
		"customer.lastOrderAt > timestamp('2026-01-01T00:00:00Z')", // timestamp columns are connector-specific
		"customer.email.endsWith('@example.com')",                  // function call
		"customer.frequency > 2 ? customer.consentEmail : customer.consentSMS",
		"customer.frequency in [1, customer.loyaltyPoints + 1]",
		"size(customer.loyaltyTier) > 3",
	} {
		p, err := Compile(expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", expr, err)
		}
		for _, d := range []Dialect{Postgres, SQLite} {
			if where, _, ok := ToSQL(p, d); ok {
				t.Errorf("ToSQL(%q, %d) = %q, ok; want ok=false", expr, d, where)
			}
		}
	}
	j, err := CompileWith("journey.sends > 1 && customer.frequency > 1", WithJourney())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := ToSQL(j, Postgres); ok {
		t.Error("ToSQL translated a journey condition, want ok=false")
	}
}

func TestPushdownColumns(t *testing.T) {
	want := []string{"averageOrderValue", "churnProbability", "consentEmail", "consentSMS", "email", "frequency",
		"id", "loyaltyPoints", "loyaltyTier", "monetary", "nps", "predictedCLV", "recencyDays", "tenureDays",
		"timeZone", "windowOrders", "windowSpend"}
	if got := PushdownColumns(); !reflect.DeepEqual(got, want) {
		t.Errorf("PushdownColumns() = %v, want %v", got, want)
	}
}

// PushdownColumns (test helper) lists the feature columns ToSQL may reference, i.e. the
// columns a features query must expose (double-quoted, never NULL) for
// pushdown to work.
func PushdownColumns() []string {
	var cols []string
	for name, typ := range customerFields {
		if _, scalar := sqlScalarTypes[typ.String()]; scalar {
			cols = append(cols, strings.TrimPrefix(name, "customer."))
		}
	}
	sort.Strings(cols)
	return cols
}
