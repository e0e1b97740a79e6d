package journey

import (
	"testing"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// FuzzCompileTemplate: any template text either compiles or returns an error
// (never panics), and one that compiles renders for a real customer or fails
// with an error, never a panic. The seeds include the template bombs so the
// fuzzer explores around the limits.
func FuzzCompileTemplate(f *testing.F) {
	for _, s := range []string{"Hi {{.email}}", "{{.nope}}", "{{with .attributes}}{{.x}}{{end}}", "{{$.attributes.a}}",
		"{{range $k, $v := .attributes}}{{$k}}{{end}}", "{{if .consentEmail}}y{{else}}{{.tenureDays}}{{end}}", "{{template \"x\"}}", "{{",
		rangeBomb, printfBomb, `{{range .loyaltyPoints}}{{print .}}{{end}}`, `{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := CompileTemplate("fuzz", Template{Subject: s, Body: s, HTML: s})
		if err != nil {
			return
		}
		_, _, _, _ = r.Render(&customer.Features{ID: "c", LoyaltyPoints: 1 << 40, Attributes: map[string]string{"a": "1"}})
	})
}
