package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// validObjects is a complete, valid set of objects every bad case is linted
// together with, so a case reports only its own mistake.
const validObjects = `apiVersion: retention.dev/v1alpha1
kind: DataSource
metadata: {name: shop-data, namespace: shop}
spec:
  file: {format: CSV, path: /data}
---
apiVersion: retention.dev/v1alpha1
kind: Channel
metadata: {name: email, namespace: shop}
spec:
  console: {}
---
apiVersion: retention.dev/v1alpha1
kind: Segment
metadata: {name: at-risk, namespace: shop}
spec:
  dataSourceRef: {name: shop-data}
  criteria: customer.recencyDays > 90.0
---
apiVersion: retention.dev/v1alpha1
kind: LoyaltyProgram
metadata: {name: rewards, namespace: shop}
spec:
  dataSourceRef: {name: shop-data}
  currency: EUR
  pointValue: "0.01"
  earnRules: {pointsPerUnit: 1}
  apiTokenSecretRef: {name: loyalty-token, key: token}
---
apiVersion: v1
kind: Secret
metadata: {name: loyalty-token, namespace: shop}
stringData: {token: x}
`

// playbookHead starts a Playbook whose steps the cases append (steps: is
// on line 9 of the case file).
var playbookHead = shopObject("Playbook", "winback") + `  segmentRef: {name: at-risk}
  trigger:
    segmentEntry: {}
  holdoutPercent: 10
  steps:
`

// shopObject is the head of a retention.dev object in namespace shop, up to
// and including "spec:" (4 lines).
func shopObject(kind, name string) string {
	return "apiVersion: retention.dev/v1alpha1\nkind: " + kind + "\nmetadata: {name: " + name + ", namespace: shop}\nspec:\n"
}

// helloSend starts a step "hello" that sends on the email channel (3
// lines); a case adds its template.
const helloSend = `    - name: hello
      send:
        channelRef: {name: email}
`

// helloStep is a complete, valid send step (4 lines).
const helloStep = helloSend + `        template: {subject: Hi, body: Hello}
`

// doneStep is the step "done" that ends the journey (2 lines).
const doneStep = `    - name: done
      exit: {}
`

// clubHead starts the LoyaltyProgram "club" (7 lines) whose remaining spec
// fields the cases append.
var clubHead = shopObject("LoyaltyProgram", "club") + `  dataSourceRef: {name: shop-data}
  currency: EUR
  pointValue: "0.01"
`

func lintStrings(t *testing.T, allowExternal bool, files map[string]string) []problem {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	l, err := newLinter(allowExternal)
	if err != nil {
		t.Fatal(err)
	}
	files2, err := yamlFiles([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(files2) != len(paths) {
		t.Fatalf("yamlFiles found %d files, want %d", len(files2), len(paths))
	}
	probs := l.lintFiles(context.Background(), files2, nil)
	// Make file names relative so expectations can name them.
	for i := range probs {
		probs[i].File = filepath.Base(probs[i].File)
	}
	return probs
}

// lintCaseErrors lints body as case.yaml together with validObjects and
// returns the errors (not the warnings), each as its String.
func lintCaseErrors(t *testing.T, body string) []string {
	t.Helper()
	var lines []string
	for _, p := range lintStrings(t, false, map[string]string{"valid.yaml": validObjects, "case.yaml": body}) {
		if !p.Warning {
			lines = append(lines, p.String())
		}
	}
	return lines
}

// lintCases are manifests with one mistake each and what lint must say.
var lintCases = []struct {
	name string
	body string // the case file, case.yaml
	// want: every error must appear, as file:line: kind/name: field: and a message fragment.
	wantPrefix []string
	wantMsg    []string
}{
	{
		name: "bad cron",
		body: shopObject("Segment", "nightly") + `  dataSourceRef: {name: shop-data}
  criteria: customer.frequency >= 1
  schedule: "0 0 31 2-1 *"
`,
		wantPrefix: []string{"case.yaml:7: Segment/nightly: spec.schedule: "},
		wantMsg:    []string{`invalid cron schedule "0 0 31 2-1 *"`},
	},
	{
		name:       "holdoutPercent 80",
		body:       strings.Replace(playbookHead, "holdoutPercent: 10", "holdoutPercent: 80", 1) + helloStep,
		wantPrefix: []string{"case.yaml:8: Playbook/winback: spec.holdoutPercent: "},
		wantMsg:    []string{"less than or equal to 50"},
	},
	{
		name: "duplicate tier names",
		body: clubHead + `  earnRules: {pointsPerUnit: 1}
  apiTokenSecretRef: {name: loyalty-token, key: token}
  tiers:
    - {name: silver, threshold: 0}
    - {name: silver, threshold: 500}
`,
		wantPrefix: []string{"case.yaml:12: LoyaltyProgram/club: spec.tiers[1]: "},
		wantMsg:    []string{`Duplicate value: {"name":"silver"}`},
	},
	{
		name: "step with two actions",
		body: playbookHead + helloStep + `    - name: pause-and-mail
      wait: {duration: 3d}
      exit: {}
`,
		wantPrefix: []string{"case.yaml:14: Playbook/winback: spec.steps[1]: "},
		wantMsg:    []string{"each step must set exactly one of send, wait, waitFor, branch, awardPoints, exit"},
	},
	{
		name: "branch to unknown step",
		body: playbookHead + `    - name: check
      branch: {if: "customer.frequency >= 2", then: vip-offer}
` + doneStep,
		wantPrefix: []string{
			"case.yaml:4: Playbook/winback: spec: ",                       // the CRD rule, on spec
			"case.yaml:11: Playbook/winback: spec.steps[0].branch.then: ", // the journey check, on the branch
		},
		wantMsg: []string{"must name a step in spec.steps", `no step named "vip-offer"`},
	},
	{
		// The CRD rule and the engine name a waitFor target that is no step;
		// the engine alone bounds the timeout (the schema only parses it).
		name: "waitFor to unknown step, timeout too long",
		body: playbookHead + `    - name: wait-for-order
      waitFor: {event: order_placed, timeout: 100d, then: thanks}
` + doneStep,
		wantPrefix: []string{
			"case.yaml:4: Playbook/winback: spec: ",
			"case.yaml:11: Playbook/winback: spec.steps[0].waitFor.then: ",
			"case.yaml:11: Playbook/winback: spec.steps[0].waitFor.timeout: ",
		},
		wantMsg: []string{"spec.steps[].waitFor.then and .else must name a step in spec.steps", `no step named "thanks"`,
			"must be positive and at most 90d"},
	},
	{
		name:       "invalid trigger filter",
		body:       strings.Replace(playbookHead, "segmentEntry: {}", `event: {type: cart_updated, where: "event.properties.total >"}`, 1) + doneStep,
		wantPrefix: []string{"case.yaml:7: Playbook/winback: spec.trigger.event.where: "},
		wantMsg:    []string{"invalid CEL"},
	},
	{
		name: "DataSource with two kinds",
		body: shopObject("DataSource", "two") + `  sqlite: {path: /data/shop.db}
  file: {format: CSV, path: /data}
`,
		wantPrefix: []string{"case.yaml:4: DataSource/two: spec: "},
		wantMsg:    []string{"exactly one of spec.postgres, spec.sqlite or spec.file must be set"},
	},
	{
		name: "unknown template field",
		body: playbookHead + helloSend + `        template:
          subject: "Hi {{.firstName}}"
          body: Hello
`,
		wantPrefix: []string{"case.yaml:14: Playbook/winback: spec.steps[0].send.template.subject: "},
		wantMsg:    []string{`unknown field "firstName"`},
	},
	{
		name: "unknown template field in the body",
		body: playbookHead + helloSend + `        template:
          subject: Hi
          body: "Hello {{.firstName}}"
`,
		wantPrefix: []string{"case.yaml:15: Playbook/winback: spec.steps[0].send.template.body: "},
		wantMsg:    []string{`unknown field "firstName"`},
	},
	{
		// Once, at the duration's line: the schema's pattern error; the
		// conversion's own error on the same field is not repeated at spec:.
		name: "bad wait duration",
		body: playbookHead + helloStep + `    - name: pause
      wait: {duration: 5x}
`,
		wantPrefix: []string{"case.yaml:15: Playbook/winback: spec.steps[1].wait.duration: "},
		wantMsg:    []string{`Invalid value: "5x"`},
	},
	{
		name: "invalid CEL branch",
		body: playbookHead + `    - name: check
      branch:
        if: |
          customer.frequency >= 2 &&
          customer.recencyDayz < 30.0
        then: done
` + doneStep,
		// The mistake is on the second line of the block scalar.
		wantPrefix: []string{"case.yaml:14: Playbook/winback: spec.steps[0].branch.if: "},
		wantMsg:    []string{"undeclared reference to 'customer.recencyDayz'"},
	},
	{
		name: "invalid segment criteria",
		body: shopObject("Segment", "typo") + `  dataSourceRef: {name: shop-data}
  criteria: customer.frequency >= "two"
`,
		wantPrefix: []string{"case.yaml:6: Segment/typo: spec.criteria: "},
		wantMsg:    []string{"no matching overload"},
	},
	{
		name: "unknown field",
		body: shopObject("Channel", "hook") + `  console: {}
  retries: 3
`,
		wantPrefix: []string{"case.yaml:6: Channel/hook: spec.retries: "},
		wantMsg:    []string{"unknown field"},
	},
	// Specs the schema accepts but the engines refuse: lint runs the
	// controller's checks (specmap), so it says what Ready=False would.
	{
		name: "smtp from that is no mail address",
		body: shopObject("Channel", "mail") + `  smtp:
    host: smtp.shop.example
    port: 587
    from: the shop
`,
		wantPrefix: []string{"case.yaml:8: Channel/mail: spec.smtp.from: "},
		wantMsg:    []string{`"the shop" is not a mail address`},
	},
	{
		name: "transactions source with two keys",
		body: shopObject("DataSource", "logs") + `  file:
    format: Transactions
    configMapRef:
      name: logs
      keys: [a.txt, b.txt]
`,
		wantPrefix: []string{"case.yaml:9: DataSource/logs: spec.file.configMapRef.keys: "},
		wantMsg:    []string{"a Transactions source needs exactly one key (the log file), got 2"},
	},
	{
		name: "points that expire after no time",
		body: clubHead + `  apiTokenSecretRef: {name: club-api, key: token}
  earnRules: {pointsPerUnit: 10}
  pointsExpiry:
    mode: Inactivity
    after: 0s
`,
		wantPrefix: []string{"case.yaml:12: LoyaltyProgram/club: spec.pointsExpiry.after: "},
		wantMsg:    []string{"must be a positive duration such as 365d"},
	},
	{
		name:       "reference to an undefined segment",
		body:       strings.Replace(playbookHead, "{name: at-risk}", "{name: lapsed}", 1) + helloStep,
		wantPrefix: []string{"case.yaml:5: Playbook/winback: spec.segmentRef.name: "},
		wantMsg:    []string{`Segment "lapsed" is not defined in the linted files`},
	},
}

func TestLintReportsEachMistakeAtItsLine(t *testing.T) {
	for _, tc := range lintCases {
		t.Run(tc.name, func(t *testing.T) {
			lines := lintCaseErrors(t, tc.body)
			if len(lines) != len(tc.wantPrefix) {
				t.Fatalf("got %d errors, want %d:\n%s", len(lines), len(tc.wantPrefix), strings.Join(lines, "\n"))
			}
			for i, prefix := range tc.wantPrefix {
				if !strings.HasPrefix(lines[i], prefix) || !strings.Contains(lines[i], tc.wantMsg[i]) {
					t.Errorf("error %d = %q\nwant prefix %q containing %q", i, lines[i], prefix, tc.wantMsg[i])
				}
			}
		})
	}
}

func TestLintAllowExternalRefs(t *testing.T) {
	pb := playbookHead + `    - name: hello
      send:
        channelRef: {name: sms}
        template: {subject: Hi, body: "Hello"}
`
	if probs := lintStrings(t, false, map[string]string{"pb.yaml": pb}); countErrors(probs) != 2 {
		t.Fatalf("without --allow-external-refs: want 2 errors (segment, channel), got %v", probs)
	}
	if probs := lintStrings(t, true, map[string]string{"pb.yaml": pb}); countErrors(probs) != 0 {
		t.Fatalf("with --allow-external-refs: want no errors, got %v", probs)
	}
}

func TestLintDuplicateObject(t *testing.T) {
	probs := lintStrings(t, false, map[string]string{"a.yaml": validObjects, "b.yaml": validObjects})
	dups := 0
	for _, p := range probs {
		if strings.Contains(p.Message, "is defined twice") {
			dups++
		}
	}
	if dups != 5 {
		t.Fatalf("want 5 duplicate findings (every object of b.yaml), got %d: %v", dups, probs)
	}
}

func TestLintYAMLSyntaxError(t *testing.T) {
	probs := lintStrings(t, false, map[string]string{"broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   bad: indent\n"})
	if len(probs) != 1 || probs[0].Line != 5 || !strings.Contains(probs[0].Message, "invalid YAML") || probs[0].Object != "ConfigMap/x" {
		t.Fatalf("want one invalid YAML error at line 5 in ConfigMap/x, got %v", probs)
	}
}

// TestLintYAMLIndentationErrorLine: the parser blames the line where the
// enclosing block began (steps: on line 9, or the line above a dedented
// key); lint names the line that is wrong, the object it is in, and no
// second "line N" inside the message.
func TestLintYAMLIndentationErrorLine(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		line       int
		object     string
	}{
		{"step key indented one space short", playbookHead + helloStep + `    - name: pause
     wait: {duration: 3d}
`, 15, "Playbook/winback"},
		{"spec key dedented, in the second document", validObjects + `---
apiVersion: retention.dev/v1alpha1
kind: Segment
metadata: {name: lapsed, namespace: shop}
spec:
  dataSourceRef: {name: shop-data}
  criteria: customer.frequency >= 1
 window: 30d
`, strings.Count(validObjects, "\n") + 8, "Segment/lapsed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			probs := lintStrings(t, false, map[string]string{"case.yaml": tc.body})
			var syntax []problem
			for _, p := range probs {
				if strings.Contains(p.Message, "invalid YAML") {
					syntax = append(syntax, p)
				}
			}
			if len(syntax) != 1 || syntax[0].Line != tc.line || syntax[0].Object != tc.object || strings.Contains(syntax[0].Message, "line ") {
				t.Fatalf("want one invalid YAML error at line %d in %s (no second line number), got %v", tc.line, tc.object, syntax)
			}
		})
	}
}

// TestLintJSONIsAList: -o json prints the findings as a list of
// {file, line, object, field, message, warning}, as docs/cli.md says; [] when clean.
func TestLintJSONIsAList(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"ok.yaml": validObjects,
		"bad.yaml": strings.Replace(playbookHead, "holdoutPercent: 10", "holdoutPercent: 80", 1) + helloStep})
	out, _, err := runCLI(t, "lint", "-o", "json", filepath.Join(dir, "bad.yaml"), filepath.Join(dir, "ok.yaml"))
	if ExitCode(err) != 1 {
		t.Fatalf("exit: %v, want status 1", err)
	}
	var got []problem
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("-o json is not a list of findings: %v\n%s", err, out)
	}
	if len(got) != 1 || got[0].Line != 8 || got[0].Field != "spec.holdoutPercent" || got[0].Object != "Playbook/winback" {
		t.Errorf("findings %+v, want one at line 8 on spec.holdoutPercent", got)
	}
	out, _, err = runCLI(t, "lint", "-o", "json", filepath.Join(dir, "ok.yaml"))
	if err != nil || strings.TrimSpace(out) != "[]" {
		t.Errorf("clean files: %v, output %q, want []", err, out)
	}
}

// TestLintSamplesPass lints every shipped sample: all must pass with no
// errors and no warnings (the samples define their Secrets and ConfigMaps).
func TestLintSamplesPass(t *testing.T) {
	l, err := newLinter(false)
	if err != nil {
		t.Fatal(err)
	}
	files, err := yamlFiles([]string{"../../config/samples"})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("found only %d sample files", len(files))
	}
	probs := l.lintFiles(context.Background(), files, nil)
	for _, p := range probs {
		t.Errorf("%s", p)
	}
	kinds := map[string]int{}
	for _, d := range l.docs {
		kinds[d.kind]++
	}
	for _, k := range []string{"DataSource", "Channel", "Segment", "LoyaltyProgram", "Playbook"} {
		if kinds[k] == 0 {
			t.Errorf("samples contain no %s: the lint test would not cover it", k)
		}
	}
}

func TestLintStdin(t *testing.T) {
	root := NewRootCommand("retentionctl")
	var out, errOut strings.Builder
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader(validObjects + "---\n" + strings.Replace(playbookHead, "holdoutPercent: 10", "holdoutPercent: 99", 1) +
		"    - name: hello\n      exit: {}\n"))
	root.SetArgs([]string{"lint", "-"})
	err := root.Execute()
	if ExitCode(err) != 1 || !IsSilent(err) {
		t.Fatalf("err = %v, want exit status 1", err)
	}
	// validObjects is 33 lines and the separator one more: the Playbook starts at 35, holdoutPercent is its line 8.
	if want := "-:42: Playbook/winback: spec.holdoutPercent: Invalid value: 99"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("stdout %q, want prefix %q", out.String(), want)
	}
}
