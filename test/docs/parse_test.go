package docs

import (
	"strings"
	"testing"
)

// The checks the doc test relies on must catch what they are for: a
// changed header or first word, a misspelt or misplaced annotation.
func TestShapeMismatch(t *testing.T) {
	out := strings.Split("8 files, 26 objects, 0 errors, 0 warnings", "\n")
	if miss := ShapeMismatch([]string{"8 files, 25 objects, 0 errors, 0 warnings"}, out); miss != "" {
		t.Errorf("numbers differ only: mismatch %q", miss)
	}
	if miss := ShapeMismatch([]string{"8 objects, 25 files"}, out); miss == "" {
		t.Error("second word differs: no mismatch")
	}
	table := strings.Split("SEND STEP  CHANNEL  KIND\nwelcome  email  console\ntips  email  console", "\n")
	for _, tc := range []struct {
		documented []string
		wantMiss   string
	}{
		{[]string{"SEND STEP  CHANNEL  KIND", "welcome  email  console", "...", "tips  email"}, ""},
		{[]string{"SEND STEP  CHANNEL  KIND  WOULD SEND"}, "SEND STEP  CHANNEL  KIND  WOULD SEND"},
		{[]string{"SEND STEP  CHANNEL  KIND", "second-order-offer  email"}, "second-order-offer  email"},
		{[]string{"tips  email", "welcome  email"}, "welcome  email"}, // order counts
	} {
		if got := ShapeMismatch(tc.documented, table); got != tc.wantMiss {
			t.Errorf("ShapeMismatch(%q) = %q, want %q", tc.documented, got, tc.wantMiss)
		}
	}
}

func TestExactMismatch(t *testing.T) {
	out := []string{"a.yaml:12: Playbook/x: spec.steps[0].send.template.subject: unknown field; known fields: a, b", "1 files"}
	if miss := ExactMismatch([]string{"a.yaml:12: Playbook/x: spec.steps[0].send.template.subject: unknown field; known fields: ...", "1 files"}, out); miss != "" {
		t.Errorf("cut line: mismatch %q", miss)
	}
	if miss := ExactMismatch([]string{"a.yaml:11: Playbook/x: spec.steps[0].send.template: unknown field; known fields: ..."}, out); miss == "" {
		t.Error("another line and field: no mismatch")
	}
}

func TestParseBlocks(t *testing.T) {
	md := "text\n<!-- doc-test: needs-dev -->\n```console\n$ retentionctl report x \\\n    -n shop\nNAME\n$ echo $?\n1\n```\n\n" +
		"```sh\nretentionctl lint config/samples\n```\n```yaml\nkind: x\n```\n"
	bs, err := ParseBlocks("a.md", md)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || bs[0].Mark != "needs-dev" || bs[0].Line != 3 || bs[1].Mark != "" || bs[1].Lang != "sh" {
		t.Fatalf("blocks %+v", bs)
	}
	cmds := bs[0].Commands()
	if len(cmds) != 1 || cmds[0].Script != "retentionctl report x \\\n    -n shop" || strings.Join(cmds[0].Output, "|") != "NAME" || cmds[0].Line != 4 || cmds[0].Exit != 1 {
		t.Errorf("commands %+v", cmds)
	}
	for _, bad := range []string{
		"<!-- doc-test: needs-clustr -->\n```sh\nx\n```\n",
		"<!-- doc-test: skip -->\n```sh\nx\n```\n",
		"<!-- doc-test: needs-dev -->\n\nsome text\n```sh\nx\n```\n",
		"```sh\nx\n",
	} {
		if _, err := ParseBlocks("a.md", bad); err == nil {
			t.Errorf("ParseBlocks accepted %q", bad)
		}
	}
}
