package cli

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// maxSyntaxScan and maxSyntaxBytes bound the search for the line that
// breaks a document (each try parses the document up to a line again): at
// most that many lines past the parser's reported line, and that many bytes
// parsed in all, so a huge broken file stays quick to lint. Past the bound
// the parser's own line is reported.
const (
	maxSyntaxScan  = 2000
	maxSyntaxBytes = 32 << 20
)

// yamlLinePrefix is the "yaml: line N: " the parser puts before its message;
// the finding carries the line itself.
var yamlLinePrefix = regexp.MustCompile(`^yaml: (line [0-9]+: )?`)

// syntaxProblem reports a YAML syntax error at the line to fix, naming the
// object it is in. The parser reports the line where the enclosing block
// began (an indentation mistake in a step is reported at "steps:"), so the
// line is found again: the first line at which the document, cut just after
// it, fails with the same message. The object is read from the part of the
// document above that line.
func syntaxProblem(file string, data []byte, err error) problem {
	msg := yamlLinePrefix.ReplaceAllString(err.Error(), "")
	p := problem{File: file, Line: yamlErrorLine(err), Message: "invalid YAML: " + msg +
		" (check this line's indentation against the lines above; YAML nests by spaces, never tabs)"}
	lines := strings.SplitAfter(string(data), "\n")
	if p.Line < 1 || p.Line > len(lines) {
		return p
	}
	start := documentStart(lines, p.Line)
	// The parser may name the "---" above the document (start is then
	// p.Line): the search begins at the document's first line.
	first := max(p.Line, start+1)
	size := 0
	for _, l := range lines[start : first-1] {
		size += len(l)
	}
	parsed := 0
	for k := first; k <= len(lines) && k < first+maxSyntaxScan; k++ {
		if k > first && isDocumentSeparator(lines[k-1]) {
			break // the next document: the mistake was not found above
		}
		size += len(lines[k-1])
		if parsed += size; parsed > maxSyntaxBytes {
			break
		}
		if e := parsePrefix(lines[start:k]); e != nil && yamlLinePrefix.ReplaceAllString(e.Error(), "") == msg {
			p.Line = k
			break
		}
	}
	p.Object = objectAbove(lines[start:max(start, p.Line-1)])
	return p
}

// documentStart is the index of the first line of the document holding
// line (1-based): just after the last "---" above it.
func documentStart(lines []string, line int) int {
	for i := line - 1; i >= 0; i-- {
		if isDocumentSeparator(lines[i]) {
			return i + 1
		}
	}
	return 0
}

func isDocumentSeparator(line string) bool {
	return line == "---\n" || line == "---" || strings.HasPrefix(line, "--- ")
}

// parsePrefix parses lines as one YAML stream and returns its first error.
func parsePrefix(lines []string) error {
	dec := yaml.NewDecoder(bytes.NewReader([]byte(strings.Join(lines, ""))))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// objectAbove is "kind/name" from the lines of a document above a syntax
// error, or "" when they do not parse or name no kind.
func objectAbove(lines []string) string {
	var head struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
	}
	if yaml.Unmarshal([]byte(strings.Join(lines, "")), &head) != nil || head.Kind == "" {
		return ""
	}
	return (&document{kind: head.Kind, name: head.Metadata.Name}).id()
}
