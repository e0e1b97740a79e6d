package journey

import (
	"testing"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// FuzzTriggerEvent: any property value (the sender's text) is kept within
// MaxEventPropertiesBytes, survives the store's encoding, decodes to values
// without panicking, and renders through templates that walk it (range,
// index, printf) within the template limits or fails with an error.
func FuzzTriggerEvent(f *testing.F) {
	for _, s := range []string{`[{"name":"Mug"}]`, `129.5`, `"quoted"`, `{"a":{"b":[1,2,3]}}`, `[[[[[[[[]]]]]]]]`, `null`, `true`, `x`, ``,
		`[` + string(make([]byte, 100)) + `]`} {
		f.Add(s, "Blue Mug")
	}
	r, err := CompileTemplate("fuzz", Template{
		Subject: `{{.event.properties.v}}`,
		Body:    `{{range .event.properties.v}}{{.}}{{end}}{{with index .event.properties "w"}}{{printf "%v" .}}{{end}}{{len .event.properties.v}}`,
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v, w string) {
		e := NewTriggerEvent(customer.Event{Type: "t", Properties: map[string]string{"v": v, "w": w}})
		if n := encodedSize(e.Properties); n > MaxEventPropertiesBytes {
			t.Fatalf("kept %d bytes of properties", n)
		}
		back := DecodeTriggerEvent(EncodeTriggerEvent(e))
		if back == nil || len(back.Properties) != len(e.Properties) {
			t.Fatalf("round trip lost properties: %v -> %v", e.Properties, back)
		}
		_ = back.PropertyValues()
		_, _, _, _ = r.RenderFor(&customer.Features{ID: "c"}, back, MessageLinks{})
		if c, err := CompileCondition(`"v" in event.properties && string(event.properties.v) != ""`); err == nil {
			_, _ = c.Eval(&customer.Features{ID: "c"}, &State{Event: back}, back.OccurredAt)
		}
	})
}
