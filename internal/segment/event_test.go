package segment

import (
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// Conditions compiled WithEvent read the triggering event's type and
// properties; JSON numbers are doubles, lists and maps are dyn.
func TestEventVariables(t *testing.T) {
	ev := &Event{Type: "cart_updated", Properties: map[string]any{
		"total": 129.5, "items": []any{map[string]any{"name": "Mug", "price": 12.0}}, "coupon": "SPRING"}}
	f := &customer.Features{ID: "c1"}
	for _, tc := range []struct {
		expr string
		want bool
	}{
		{`event.properties.total > 100.0`, true},
		{`event.properties.total > 200.0`, false},
		{`event.type == "cart_updated"`, true},
		{`event.properties.items.exists(i, i.name == "Mug")`, true},
		{`"coupon" in event.properties && event.properties.coupon == "SPRING"`, true},
		{`!("gift" in event.properties)`, true},
	} {
		p, err := CompileWith(tc.expr, WithEvent())
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		got, err := p.MatchesEvent(f, nil, ev)
		if err != nil || got != tc.want {
			t.Errorf("%s = %v, %v; want %v", tc.expr, got, err, tc.want)
		}
	}
}

// A missing property is a runtime error (like a missing attribute), and an
// absent event reads as empty properties.
func TestEventMissingProperty(t *testing.T) {
	p, err := CompileWith(`event.properties.total > 100.0`, WithEvent())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.MatchesEvent(&customer.Features{}, nil, nil); err == nil || !strings.Contains(err.Error(), "total") {
		t.Fatalf("missing property: err = %v, want one naming the key", err)
	}
}

// Without WithEvent the names are undeclared; nested comprehensions over
// the properties are refused by the cost estimate.
func TestEventDeclarationAndCost(t *testing.T) {
	if _, err := Compile(`event.properties.total > 1.0`); err == nil {
		t.Fatal("event.properties compiled without WithEvent")
	}
	_, err := CompileWith(`event.properties.items.all(a, event.properties.items.all(b, event.properties.items.all(c, event.properties.items.exists(d, d == a))))`, WithEvent())
	if err == nil || !strings.Contains(err.Error(), "estimated cost") {
		t.Fatalf("nested comprehensions: err = %v, want the cost limit", err)
	}
}
