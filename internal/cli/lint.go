package cli

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// linter checks a set of manifests offline: the CRD schemas and their CEL
// rules (as the API server enforces them), the operator's own validation
// (criteria CEL, journeys, cron schedules), and references between objects.
type linter struct {
	schemas schemaSet
	// allowExternalRefs turns references to objects not in the linted files
	// from errors into nothing (they may live in another repository).
	allowExternalRefs bool
	docs              []*document
	probs             []problem
	// schemaFields are the fields of the current document the schema check
	// reported; the operator's checks skip them so nothing is said twice.
	schemaFields map[string]bool
	// objectRules are the messages of the CEL rules that failed on an object
	// of the current document, by the object's field.
	objectRules map[string]string
	// stdin is read for the file name "-".
	stdin io.Reader
}

// readInput reads a file, or stdin for "-".
func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		if stdin == nil {
			stdin = os.Stdin
		}
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}

func newLinter(allowExternalRefs bool) (*linter, error) {
	s, err := loadSchemas()
	if err != nil {
		return nil, err
	}
	return &linter{schemas: s, allowExternalRefs: allowExternalRefs}, nil
}

// lintFiles reads and checks every file, then the references across them.
func (l *linter) lintFiles(ctx context.Context, files []string, progress func(done int)) []problem {
	for i, f := range files {
		data, err := readInput(f, l.stdin)
		if err != nil {
			l.probs = append(l.probs, problem{File: f, Message: err.Error()})
			continue
		}
		l.lintData(ctx, f, data)
		if progress != nil {
			progress(i + 1)
		}
	}
	l.checkReferences()
	sortProblems(l.probs)
	return l.probs
}

// lintData checks the documents of one file (references are checked later,
// once every file is read).
func (l *linter) lintData(ctx context.Context, file string, data []byte) {
	docs, probs := parseDocuments(file, data)
	l.probs = append(l.probs, probs...)
	for _, d := range docs {
		l.docs = append(l.docs, d)
		l.lintDocument(ctx, d)
	}
}

func (l *linter) lintDocument(ctx context.Context, d *document) {
	if d.apiVersion == "" || d.kind == "" {
		l.report(d, "", "apiVersion and kind are required")
		return
	}
	group, _, _ := strings.Cut(d.apiVersion, "/")
	if group != v1alpha1.GroupVersion.Group {
		return // Secrets, ConfigMaps, ...: only kept for reference checks
	}
	s, ok := l.schemas[d.apiVersion+"/"+d.kind]
	if !ok {
		l.report(d, "kind", "no CRD for %s %s; the kinds are DataSource, Channel, Segment, LoyaltyProgram, Playbook", d.apiVersion, d.kind)
		return
	}
	if d.name == "" {
		l.report(d, "metadata.name", "required")
	}
	errs := s.validate(ctx, d.obj)
	l.schemaFields, l.objectRules = map[string]bool{}, map[string]string{}
	for _, e := range errs {
		l.reportFieldError(d, e)
		if isObjectRule(e) {
			l.objectRules[e.Field] = e.Detail
		} else {
			l.schemaFields[e.Field] = true
		}
	}
	if hasBlockingErr(errs) {
		return // the typed checks below would only repeat the problem
	}
	l.checkDomain(d)
}

// report adds an error at a field of a document (the document's line when
// the field is not in the file).
func (l *linter) report(d *document, fieldPath, format string, a ...any) {
	if l.schemaReported(fieldPath) {
		return
	}
	l.probs = append(l.probs, problem{File: d.file, Line: lineOf(d.root, fieldPath), Object: d.id(),
		Field: fieldPath, Message: sprintf(format, a...)})
}

// schemaReported says whether the schema check already reported fieldPath or
// a field holding it: the engine names spec.tiers[1].name where the schema
// named spec.tiers[1], and one mistake is said once. A rule on spec as a
// whole covers no field below it (it says less than the engine's problem).
func (l *linter) schemaReported(fieldPath string) bool {
	if _, rule := l.objectRules[fieldPath]; rule || l.schemaFields[fieldPath] {
		return true
	}
	for p := parentField(fieldPath); strings.ContainsAny(p, ".["); p = parentField(p) {
		if l.schemaFields[p] {
			return true
		}
		// A rule on the object covers the fields it names: "pinned must name
		// one of the step's variants" on send covers send.pinned, not
		// send.variants[1].body.
		if rule, ok := l.objectRules[p]; ok && strings.Contains(rule, "."+fieldName(strings.TrimPrefix(fieldPath, p))) {
			return true
		}
	}
	return false
}

// isObjectRule: a CEL rule (x-kubernetes-validations) on an object failed,
// e.g. "pinned must name one of the step's variants" on spec.steps[0].send.
// It speaks of a relation between fields, not of the fields below, so the
// engine's own problems there are still reported.
func isObjectRule(e *field.Error) bool {
	if e.Type != field.ErrorTypeInvalid {
		return false
	}
	// The apiserver's CEL validator omits the object's value from its error.
	_, omitted := e.BadValue.(field.OmitValueType)
	return omitted || e.BadValue == "object"
}

// fieldName is the first name of a path below an object: "pinned" for
// ".pinned", "variants" for ".variants[1].body".
func fieldName(below string) string {
	name := strings.TrimPrefix(below, ".")
	if i := strings.IndexAny(name, ".["); i >= 0 {
		name = name[:i]
	}
	return name
}

// parentField is the field holding p: spec.tiers[1] for spec.tiers[1].name,
// spec.tiers for spec.tiers[1], "" for spec.
func parentField(p string) string {
	if i := strings.LastIndexAny(p, ".["); i > 0 {
		return p[:i]
	}
	return ""
}

// reportAt adds an error at an explicit line.
func (l *linter) reportAt(d *document, line int, fieldPath, format string, a ...any) {
	l.probs = append(l.probs, problem{File: d.file, Line: line, Object: d.id(), Field: fieldPath, Message: sprintf(format, a...)})
}

func (l *linter) reportFieldError(d *document, e *field.Error) {
	p := e.Field
	if p == "<nil>" {
		p = ""
	}
	l.probs = append(l.probs, problem{File: d.file, Line: lineOf(d.root, p), Object: d.id(), Field: p, Message: shortenPattern(e.ErrorBody())})
}

// longPattern matches the quoted regular expression of a pattern error.
var longPattern = regexp.MustCompile(`should match '([^']{60,})'$`)

// shortenPattern replaces a very long pattern (the cron Schedule pattern is
// 700 characters) with a pointer to the CRD: the value is what matters.
func shortenPattern(msg string) string {
	return longPattern.ReplaceAllString(msg, "should match the pattern in the CRD schema")
}

// typed decodes a document into its API type (false when the shapes do not
// match; the schema check has then already reported why).
func typed[T any](d *document) (*T, bool) {
	raw, err := json.Marshal(d.obj)
	if err != nil {
		return nil, false
	}
	var out T
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, false
	}
	return &out, true
}
