package cli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/internal/segment"
)

// fourNestedAll is issue 12's CEL cost bomb: four .all() over a 50-element
// list (6 s per customer before the cost limit).
func fourNestedAll(inner string) string {
	var items []string
	for i := 1; i <= 50; i++ {
		items = append(items, fmt.Sprint(i))
	}
	list := "[" + strings.Join(items, ", ") + "]"
	return list + ".all(a, " + list + ".all(b, " + list + ".all(c, " + list + ".all(d, " + inner + "))))"
}

// TestLintRefusesHostileInput: lint reports the template bombs (which used
// to run it out of memory) and the CEL cost bomb with the same message the
// controller puts into status, at the line of the field.
func TestLintRefusesHostileInput(t *testing.T) {
	costMsg := fmt.Sprintf("exceeds the limit of %d per customer; nest fewer comprehensions", segment.MaxCost)
	cases := []struct {
		name, body, wantPrefix, wantMsg string
	}{
		{
			name: "range bomb",
			body: playbookHead + helloSend + `        template:
          subject: Hi
          body: "{{range 100000000000}}{{end}}"
`,
			wantPrefix: "case.yaml:15: Playbook/winback: spec.steps[0].send.template.body: ",
			wantMsg:    `template "hello" body: range over 100000000000 at 1:9 exceeds the limit of 1000 iterations; use a smaller number`,
		},
		{
			name: "nested printf range bomb",
			body: playbookHead + helloSend + `        template:
          subject: Hi
          body: '{{range 1000}}{{range 1000}}{{printf "%0999999d" 1}}{{end}}{{end}}'
`,
			wantPrefix: "case.yaml:15: Playbook/winback: spec.steps[0].send.template.body: ",
			wantMsg:    "runs 1000000 iterations in total, over the limit of 10000",
		},
		{
			name: "printf width bomb",
			body: playbookHead + helloSend + `        template:
          subject: '{{printf "%0999999d" 1}}'
          body: Hello
`,
			wantPrefix: "case.yaml:14: Playbook/winback: spec.steps[0].send.template.subject: ",
			wantMsg:    `1:3: printf format "%0999999d" has a width or precision over the limit of 1000`,
		},
		{
			name: "CEL cost bomb in criteria",
			body: shopObject("Segment", "bomb") + `  dataSourceRef: {name: shop-data}
  criteria: "` + fourNestedAll("a + b + c + d > customer.frequency") + `"
`,
			wantPrefix: "case.yaml:6: Segment/bomb: spec.criteria: invalid CEL: estimated cost ",
			wantMsg:    costMsg,
		},
		{
			name: "CEL cost bomb in a branch",
			body: playbookHead + `    - name: check
      branch:
        if: "` + fourNestedAll("journey.sends + a + b + c + d > 0") + `"
        then: done
` + doneStep,
			wantPrefix: "case.yaml:12: Playbook/winback: spec.steps[0].branch.if: invalid CEL: estimated cost ",
			wantMsg:    costMsg,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lines := lintCaseErrors(t, tc.body)
			if len(lines) != 1 || !strings.HasPrefix(lines[0], tc.wantPrefix) || !strings.Contains(lines[0], tc.wantMsg) {
				t.Fatalf("lint said:\n%s\nwant one error starting %q containing %q", strings.Join(lines, "\n"), tc.wantPrefix, tc.wantMsg)
			}
		})
	}
}
