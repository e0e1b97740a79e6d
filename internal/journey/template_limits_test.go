package journey

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"text/template"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// The two template bombs from issue 12: a range over a huge literal (blocked
// the Playbook controller's only worker) and a nested printf range (took the
// manager from 70 MB to 838 MB in a second).
const (
	rangeBomb  = `{{range 100000000000}}{{end}}`
	printfBomb = `{{range 1000}}{{range 1000}}{{printf "%0999999d" 1}}{{end}}{{end}}`
)

// TestTemplateBombsRefusedBeforeExecution: each bomb is refused by the static
// check on the parse tree (checkBounds, which runs nothing), and Compile
// names the field, the limit and the fix. Being refused statically is what
// makes the refusal fast: no part of the template ever executes.
func TestTemplateBombsRefusedBeforeExecution(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"range over a huge literal", rangeBomb,
			"range over 100000000000 at 1:9 exceeds the limit of 1000 iterations; use a smaller number or range over a customer field"},
		{"nested printf range", printfBomb,
			"range over 1000 at 1:23 nested in other ranges runs 1000000 iterations in total, over the limit of 10000"},
		{"printf with a huge width", `{{printf "%0999999d" 1}}`,
			`1:3: printf format "%0999999d" has a width or precision over the limit of 1000; use a smaller number`},
		{"nested literal ranges", `{{range 1000}}{{range 1000}}x{{end}}{{end}}`,
			"range over 1000 at 1:23 nested in other ranges runs 1000000 iterations in total, over the limit of 10000"},
		{"range over a parenthesised literal", `{{range $i := (5000)}}{{$i}}{{end}}`,
			"range over (5000) at 1:9 exceeds the limit of 1000"},
		{"range over a literal beyond int64", `{{range 18446744073709551615}}{{end}}`, "exceeds the limit of 1000 iterations"},
		{"printf width from an argument", `{{printf "%*d" 999999 1}}`, `printf format "%*d" takes a width or precision from an argument (*)`},
		{"printf precision", `{{printf "%.5000f" 1.0}}`, `printf format "%.5000f" has a width or precision over the limit of 1000`},
		{"printf in a parenthesised argument", `{{len (printf "%2000s" "x")}}`, `1:8: printf format "%2000s" has a width`},
		{"recursion", `{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}`, `template "r" calls itself (r -> r); recursion is not allowed`},
		{"recursion through another template", `{{define "a"}}{{template "b"}}{{end}}{{define "b"}}{{template "a"}}{{end}}`, "calls itself ("},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tmpl, err := template.New("t").Parse(c.body)
			if err != nil {
				t.Fatal(err)
			}
			var trees = treesOf(tmpl.Templates())
			static := checkRecursion(trees)
			for _, tree := range trees {
				if static == nil {
					static = checkBounds(tree)
				}
			}
			if static == nil || !strings.Contains(static.Error(), c.want) {
				t.Fatalf("static check = %v, want %q", static, c.want)
			}

			cfg := Config{Name: "p", Trigger: Trigger{SegmentEntry: true}, Steps: []Step{sendStep("bomb", "mail", c.body)}}
			_, err = Compile(cfg, testChannels)
			var verr *ValidationError
			if !errors.As(err, &verr) || len(verr.Problems) != 1 {
				t.Fatalf("Compile = %v, want one validation problem", err)
			}
			p := verr.Problems[0]
			if p.Field != "steps[0].send.template.body" || !strings.HasPrefix(p.Reason, `template "bomb" body: `) ||
				!strings.Contains(p.Reason, strings.TrimPrefix(c.want, `template "r" calls itself (r -> r)`)) {
				t.Fatalf("problem = %s: %s; want steps[0].send.template.body naming %q", p.Field, p.Reason, c.want)
			}
			var limit *LimitError
			if errors.As(err, &limit) {
				t.Fatalf("refused by the run-time budget (%v), not before execution", limit)
			}
		})
	}
}

// TestTemplateBombInHTMLBodyNamesSpecBody: an HTML body is spec.template.body
// (html: true), so the field says body.
func TestTemplateBombInHTMLBodyNamesSpecBody(t *testing.T) {
	step := Step{Name: "h", Send: &SendStep{ChannelRef: "mail", Template: Template{Subject: "Hi", HTML: "<p>" + rangeBomb + "</p>"}}}
	_, err := Compile(Config{Name: "p", Trigger: Trigger{SegmentEntry: true}, Steps: []Step{step}}, testChannels)
	var verr *ValidationError
	if !errors.As(err, &verr) || verr.Problems[0].Field != "steps[0].send.template.body" ||
		!strings.Contains(verr.Problems[0].Reason, `template "h" html: range over 100000000000`) {
		t.Fatalf("Compile = %v", err)
	}
}

// TestTemplateBudgetStopsWhatStaticChecksCannotSee: loops over customer data
// and formats from customer data are stopped by the run-time budget with the
// limit's own message.
func TestTemplateBudgetStopsWhatStaticChecksCannotSee(t *testing.T) {
	many := map[string]string{"f": "%0999999d", "x": "abc"}
	for i := range 2000 {
		many[fmt.Sprintf("k%04d", i)] = "v"
	}
	doubling := `{{$a := .email}}` + strings.Repeat(`{{$a = print $a $a}}`, 30) + `{{len $a}}`
	cases := []struct {
		name, body string
		want       *LimitError
	}{
		{"range over a huge customer number", `{{range .loyaltyPoints}}{{end}}`, errTooManySteps},
		{"nested ranges over customer data", `{{range .attributes}}{{range $.attributes}}{{end}}{{end}}`, errTooManySteps},
		{"output too long", `{{range .attributes}}{{printf "%1000d" 1}}{{end}}`, errTooLong},
		{"print doubling a string", doubling, errTooLong},
		{"printing large strings into a variable in a loop", `{{range .attributes}}{{range $.attributes}}{{$x := printf "%1000d%1000d" 1 2}}{{end}}{{end}}`, errTooMuchBuilt},
	}
	f := &customer.Features{Email: "bob@example.com", LoyaltyPoints: 1 << 40, Attributes: many}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := CompileTemplate(`"s"`, Template{Subject: "Hi", Body: c.body})
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			_, _, _, err = r.Render(f)
			var limit *LimitError
			if !errors.As(err, &limit) || limit != c.want {
				t.Fatalf("Render = %v, want %v", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), `template "s" body: rendering stopped`) {
				t.Fatalf("error %q does not name the part", err)
			}
		})
	}
	t.Run("printf format from customer data", func(t *testing.T) {
		r, err := CompileTemplate(`"s"`, Template{Subject: "Hi", Body: `{{printf .attributes.f 1}}`})
		if err != nil {
			t.Fatal(err)
		}
		_, _, _, err = r.Render(f)
		if err == nil || err.Error() != `template "s" body: printf format has a width or precision over the limit of 1000; use a smaller number` {
			t.Fatalf("Render = %v; want the limit, without the customer's format", err)
		}
	})
}

// TestLegitimateTemplatesRenderUnchanged: loops, printf, print functions,
// defined templates and HTML (including a loop inside a script, where an
// injected action would have printed "") render exactly as before.
func TestLegitimateTemplatesRenderUnchanged(t *testing.T) {
	f := &customer.Features{Email: "ann@example.com", Monetary: 123.456, LoyaltyTier: "gold",
		Attributes: map[string]string{"firstName": "Ann", "plan": "pro"}}
	r, err := CompileTemplate(`"ok"`, Template{
		Subject: `Hi {{.attributes.firstName}}, {{printf "%.2f" .monetary}}`,
		Body: `{{define "sig"}}-- {{.}}{{end}}{{range $k, $v := .attributes}}{{$k}}={{$v}};{{end}}` +
			`{{range $i := 3}}{{$i}}{{end}} {{print .loyaltyTier "!"}} {{urlquery .email}} {{template "sig" "shop"}}`,
		HTML: `<p>{{.email}}</p><script>var n = [{{range 3}}1,{{end}}];</script>`,
	})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	subject, body, html, err := r.Render(f)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	if want := "Hi Ann, 123.46"; subject != want {
		t.Errorf("subject = %q, want %q", subject, want)
	}
	if want := "firstName=Ann;plan=pro;012 gold! ann%40example.com -- shop"; body != want {
		t.Errorf("body = %q, want %q", body, want)
	}
	if want := "<p>ann@example.com</p><script>var n = [1,1,1,];</script>"; html != want {
		t.Errorf("html = %q, want %q", html, want)
	}
}

// TestConcurrentRendersKeepTheirOwnBudget: the worker may render for many
// customers at once; each render must be charged to its own budget.
func TestConcurrentRendersKeepTheirOwnBudget(t *testing.T) {
	r, err := CompileTemplate(`"c"`, Template{Subject: "x", Body: `{{range 900}}.{{end}}{{.id}}`})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprint(i)
			for range 10 {
				_, body, _, err := r.Render(&customer.Features{ID: id})
				if err != nil || body != strings.Repeat(".", 900)+id {
					errs <- fmt.Errorf("customer %s: %q, %v", id, body, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestUserTemplatesCannotCallTheBudgetCheck: the hidden check is not a
// function user templates can name.
func TestUserTemplatesCannotCallTheBudgetCheck(t *testing.T) {
	_, err := CompileTemplate(`"u"`, Template{Subject: "x", Body: `{{` + budgetFunc + `}}`})
	if err == nil || !strings.Contains(err.Error(), `function "`+budgetFunc+`" not defined`) {
		t.Fatalf("CompileTemplate = %v", err)
	}
}

// TestPrintfBombAllocatesAlmostNothing: the nested printf range (838 MB in a
// second in the manager) is refused by the static check, so compiling it
// allocates a few kilobytes of parse tree, not the megabyte each printf
// would have built.
func TestPrintfBombAllocatesAlmostNothing(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := CompileTemplate(`"m"`, Template{Subject: "Hi", Body: printfBomb})
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("printf bomb compiled")
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Fatalf("compiling the printf bomb allocated %d bytes, want under 1 MiB", got)
	}
}
