package segment

import (
	"fmt"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// celBomb is issue 12's criteria: four nested .all() over a 50-element list,
// 6.25 million inner steps (6 s per customer before the limit).
var celBomb = func() string {
	var items []string
	for i := 1; i <= 50; i++ {
		items = append(items, fmt.Sprint(i))
	}
	list := "[" + strings.Join(items, ", ") + "]"
	return list + ".all(a, " + list + ".all(b, " + list + ".all(c, " + list + ".all(d, a + b + c + d > customer.frequency))))"
}()

// TestCostBombRefusedAtCompile: the estimate refuses the bomb before a
// program exists (Compile returns the estimate's *CriteriaError, so nothing
// was evaluated), for criteria and for playbook conditions alike.
func TestCostBombRefusedAtCompile(t *testing.T) {
	for _, opts := range [][]Option{nil, {WithJourney()}} {
		p, err := CompileWith(celBomb, opts...)
		if p != nil || err == nil {
			t.Fatalf("bomb compiled (journey=%v)", len(opts) > 0)
		}
		ce, ok := AsCriteriaError(err)
		if !ok {
			t.Fatalf("error %T %v is not a *CriteriaError", err, err)
		}
		for _, want := range []string{"estimated cost ", fmt.Sprintf("exceeds the limit of %d per customer; nest fewer comprehensions", MaxCost)} {
			if !strings.Contains(ce.Message, want) {
				t.Fatalf("message %q lacks %q", ce.Message, want)
			}
		}
		if ce.Line != 1 || ce.Column < 1 {
			t.Fatalf("position %d:%d, want line 1", ce.Line, ce.Column)
		}
	}
}

// TestUnboundedLookingCriteriaWithinHintsCompile: comprehensions over the
// attributes map are estimated with the size hints and accepted.
func TestUnboundedLookingCriteriaWithinHintsCompile(t *testing.T) {
	for _, expr := range []string{
		`customer.attributes.exists(k, k.startsWith('utm_') && customer.attributes[k].contains('spring'))`,
		`customer.email.endsWith('@example.com') && customer.attributes.all(k, size(customer.attributes[k]) < 200)`,
		`[1, 2, 3].exists(x, x == customer.frequency)`,
	} {
		if _, err := Compile(expr); err != nil {
			t.Errorf("Compile(%q) = %v", expr, err)
		}
	}
}

// TestRuntimeCostLimitStopsDataBeyondTheHints: a criteria whose estimate
// fits, over a customer with far more and longer attributes than the hints
// assume, is stopped at MaxCost with a message naming the limit.
func TestRuntimeCostLimitStopsDataBeyondTheHints(t *testing.T) {
	p, err := Compile(`customer.attributes.exists(k, customer.attributes[k].contains('needle'))`)
	if err != nil {
		t.Fatal(err)
	}
	small := &customer.Features{Attributes: map[string]string{"a": "hay needle"}}
	if ok, err := p.Matches(small); !ok || err != nil {
		t.Fatalf("small customer: %v, %v", ok, err)
	}
	huge := &customer.Features{Attributes: map[string]string{}}
	for i := range 5000 {
		huge.Attributes[fmt.Sprintf("k%d", i)] = strings.Repeat("hay ", 1000)
	}
	ok, err := p.Matches(huge)
	if ok || err == nil || !strings.Contains(err.Error(), fmt.Sprintf("stopped at the cost limit of %d per customer", MaxCost)) {
		t.Fatalf("huge customer: %v, %v; want the cost limit", ok, err)
	}
}

// TestRuntimeCostTrackedWhereDataSizeMatters: evaluation counts the actual
// cost exactly when the cost depends on the customer's data; criteria that
// only compare fields are bounded by their estimate alone.
func TestRuntimeCostTrackedWhereDataSizeMatters(t *testing.T) {
	for expr, want := range map[string]bool{
		typicalCriteria: false,
		`customer.loyaltyTier in ['gold', 'platinum'] && [1, 2, 3].exists(x, x == customer.frequency)`: false,
		`customer.attributes.exists(k, customer.attributes[k] == 'x')`:                                 true,
		`customer.email.contains('@example.')`:                                                         true,
	} {
		p, err := Compile(expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", expr, err)
		}
		if p.costTracked != want {
			t.Errorf("%q: cost tracked = %v, want %v", expr, p.costTracked, want)
		}
	}
}
