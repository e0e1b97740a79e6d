// Package docs keeps README.md and docs/*.md true: its test runs every
// fenced sh and console block in them (see blocks_test.go).
package docs

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Block is one fenced sh or console block of a markdown file.
type Block struct {
	File string
	Line int    // line of the opening fence
	Lang string // "sh" or "console"
	Text string // the lines between the fences
	// Mark is the doc-test annotation on the line above the fence:
	// "" (run it), "needs-cluster", "needs-dev" or "skip"; Reason is what
	// follows it.
	Mark, Reason string
	// Exact (<!-- doc-test: exact -->) compares the output line for line
	// instead of by shape: for output whose every character is the point,
	// such as lint's file:line findings.
	Exact bool
}

// Marks an annotation may carry, and what each means in the test's report.
var Marks = map[string]string{
	"needs-cluster": "needs a Kubernetes cluster",
	"needs-dev":     "needs `make dev` running",
	"skip":          "skipped",
	"exact":         "", // runs; output compared exactly
}

// annotation is the HTML comment that marks a block the test cannot run:
// <!-- doc-test: needs-cluster -->, <!-- doc-test: skip: why -->.
var annotation = regexp.MustCompile(`^<!--\s*doc-test:\s*([a-z-]+)\s*(?::\s*(.*?))?\s*-->$`)

// ParseBlocks returns the sh and console blocks of a markdown file. An
// annotation with an unknown mark, or one not directly above a fence, is an
// error, so a typo cannot silently turn a block into a skipped one.
func ParseBlocks(file, markdown string) ([]Block, error) {
	var blocks []Block
	lines := strings.Split(markdown, "\n")
	pendingMark, pendingReason, pendingLine := "", "", 0
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], " \t\r")
		if m := annotation.FindStringSubmatch(line); m != nil {
			if _, ok := Marks[m[1]]; !ok {
				return nil, fmt.Errorf("%s:%d: unknown doc-test mark %q; use needs-cluster, needs-dev, skip: reason or exact", file, i+1, m[1])
			}
			if m[1] == "skip" && m[2] == "" {
				return nil, fmt.Errorf("%s:%d: doc-test skip needs a reason: <!-- doc-test: skip: why -->", file, i+1)
			}
			pendingMark, pendingReason, pendingLine = m[1], m[2], i+1
			continue
		}
		if !strings.HasPrefix(line, "```") {
			if pendingMark != "" {
				return nil, fmt.Errorf("%s:%d: doc-test annotation is not directly above a ``` fence", file, pendingLine)
			}
			continue
		}
		lang := strings.TrimSpace(strings.TrimPrefix(line, "```"))
		start := i
		var body []string
		for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
			body = append(body, lines[i])
		}
		if i == len(lines) {
			return nil, fmt.Errorf("%s:%d: unclosed ``` fence", file, start+1)
		}
		if lang == "sh" || lang == "console" {
			b := Block{File: file, Line: start + 1, Lang: lang, Text: strings.Join(body, "\n"),
				Mark: pendingMark, Reason: pendingReason}
			if b.Mark == "exact" {
				b.Mark, b.Exact = "", true
			}
			blocks = append(blocks, b)
		} else if pendingMark != "" {
			return nil, fmt.Errorf("%s:%d: doc-test annotation on a %q block; only sh and console blocks are run", file, pendingLine, lang)
		}
		pendingMark, pendingReason = "", ""
	}
	return blocks, nil
}

// Command is one command of a block with the output the docs show for it.
type Command struct {
	Line   int // line in the markdown file
	Script string
	Output []string // nil when the docs show none
	// Exit is the exit status the docs show with a following "$ echo $?"
	// (0 when they show none).
	Exit int
}

// Commands splits a block into what to run. An sh block is one script (its
// lines share the shell, as when pasted). In a console block each "$ "
// line, with its "\" continuation lines, is a command and the lines up to
// the next "$ " are its output.
func (b Block) Commands() []Command {
	if b.Lang == "sh" {
		return []Command{{Line: b.Line + 1, Script: b.Text}}
	}
	var cmds []Command
	lines := strings.Split(b.Text, "\n")
	for i := 0; i < len(lines); i++ {
		rest, ok := strings.CutPrefix(lines[i], "$ ")
		if !ok {
			if len(cmds) > 0 {
				c := &cmds[len(cmds)-1]
				c.Output = append(c.Output, lines[i])
			}
			continue
		}
		c := Command{Line: b.Line + 1 + i, Script: rest}
		for strings.HasSuffix(c.Script, "\\") && i+1 < len(lines) {
			i++
			c.Script += "\n" + lines[i]
		}
		cmds = append(cmds, c)
	}
	return foldExitStatus(cmds)
}

// foldExitStatus turns "$ echo $?" and the number shown under it into the
// expected exit status of the command before it.
func foldExitStatus(cmds []Command) []Command {
	var out []Command
	for _, c := range cmds {
		if c.Script == "echo $?" && len(out) > 0 && len(c.Output) > 0 {
			if n, err := strconv.Atoi(strings.TrimSpace(c.Output[0])); err == nil {
				out[len(out)-1].Exit = n
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

// ShapeMismatch compares output with what the docs show, by shape: every
// line the docs show (except blank lines and "...", which stands for lines
// left out) must be matched, in order, by a line of the output that starts
// with the same two words (digits runs count as one digit, so "8 files,"
// matches "26 files," and "c0000000" matches "c0000001"); a header line
// (words in capitals, e.g. "SEND STEP  CHANNEL  KIND") must match word for
// word. It returns the first documented line not matched,
// or "" when the shapes agree.
func ShapeMismatch(documented, output []string) string {
	skip := func(want string) bool {
		ws := shape(want)
		return len(ws) == 0 || ws[0] == "..."
	}
	return firstUnmatched(documented, output, skip, func(want, out string) bool {
		ws, got := shape(want), shape(out)
		if len(got) == 0 {
			return false
		}
		if isHeader(ws) {
			return slices.Equal(ws, got)
		}
		return slices.Equal(head(ws), head(got))
	})
}

// digits is a run of digits, which shape counts as one.
var digits = regexp.MustCompile(`[0-9]+`)

// ExactMismatch is ShapeMismatch for exact blocks: each documented line
// must appear in order as an output line; one ending in "..." (a long line
// cut short) matches the output lines that start with what precedes it.
func ExactMismatch(documented, output []string) string {
	trimmed := make([]string, len(documented))
	for i, want := range documented {
		trimmed[i] = strings.TrimRight(want, " ")
	}
	skip := func(want string) bool { s := strings.TrimSpace(want); return s == "" || s == "..." }
	return firstUnmatched(trimmed, output, skip, func(want, out string) bool {
		prefix, cut := strings.CutSuffix(want, "...")
		got := strings.TrimRight(out, " ")
		return got == want || cut && strings.HasPrefix(got, prefix)
	})
}

// firstUnmatched returns the first documented line, skip aside, that no
// output line after the previous one's match matches (lines must appear in
// order), or "" when every one is found.
func firstUnmatched(documented, output []string, skip func(want string) bool, match func(want, out string) bool) string {
	j := 0
	for _, want := range documented {
		if skip(want) {
			continue
		}
		for j < len(output) && !match(want, output[j]) {
			j++
		}
		if j == len(output) {
			return want
		}
		j++
	}
	return ""
}

// shape is a line's words with every run of digits replaced by "#".
func shape(line string) []string {
	words := strings.Fields(line)
	for i, w := range words {
		words[i] = digits.ReplaceAllString(w, "#")
	}
	return words
}

// head is the first two words, which a documented line and its output share.
func head(words []string) []string {
	if len(words) > 2 {
		return words[:2]
	}
	return words
}

// isHeader is true for a table header: two or more words, all in capitals.
func isHeader(words []string) bool {
	if len(words) < 2 {
		return false
	}
	for _, w := range words {
		if w != strings.ToUpper(w) || strings.ToUpper(w) == strings.ToLower(w) || strings.Contains(w, "#") {
			return false
		}
	}
	return true
}
