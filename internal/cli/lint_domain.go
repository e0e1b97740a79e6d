package cli

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/retention-dev/retention-operator/internal/cronspec"

	yaml "go.yaml.in/yaml/v3"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/segment"
	"github.com/retention-dev/retention-operator/internal/specmap"
)

// checkDomain runs the operator's own validation on a schema-valid object:
// what the controller would reject with Ready=False after the API server
// accepted it.
func (l *linter) checkDomain(d *document) {
	if check, ok := domainChecks[d.kind]; ok {
		check(l, d)
	}
}

// domainChecks holds each kind's check, run on the typed object.
var domainChecks = map[string]func(*linter, *document){
	"Segment":        domainCheck((*linter).checkSegment),
	"LoyaltyProgram": domainCheck((*linter).checkLoyaltyProgram),
	"DataSource":     domainCheck((*linter).checkDataSource),
	"Channel":        domainCheck((*linter).checkChannel),
	"Playbook":       domainCheck((*linter).checkPlaybook),
}

// domainCheck runs check on the document decoded as T; a document that does
// not decode was already reported by the schema check.
func domainCheck[T any](check func(*linter, *document, *T)) func(*linter, *document) {
	return func(l *linter, d *document) {
		if obj, ok := typed[T](d); ok {
			check(l, d, obj)
		}
	}
}

func (l *linter) checkSegment(d *document, seg *v1alpha1.Segment) {
	// The criteria's CEL errors point at their line inside the expression.
	criteriaOK := l.checkCriteria(d, "spec.criteria", seg.Spec.Criteria)
	l.checkCron(d, "spec.schedule", string(seg.Spec.Schedule))
	// The metric job's mapping and validation, as the controller runs it
	// (window, metrics; the criteria was reported above).
	if _, err := specmap.Segment(&seg.Spec); err != nil && criteriaOK {
		l.reportSpecErr(d, err)
	}
}

func (l *linter) checkLoyaltyProgram(d *document, lp *v1alpha1.LoyaltyProgram) {
	l.checkCron(d, "spec.metricsSchedule", string(lp.Spec.MetricsSchedule))
	// The ledger engine's mapping and validation, as the controller runs it.
	if _, err := specmap.Loyalty(&lp.Spec); err != nil {
		l.reportSpecErr(d, err)
	}
}

func (l *linter) checkDataSource(d *document, ds *v1alpha1.DataSource) {
	// The connector mapping, as the controller runs it (the DSN lives in a
	// Secret neither reads).
	if _, err := specmap.DataSource(ds.Namespace, ds.Name, &ds.Spec); err != nil {
		l.reportSpecErr(d, err)
	}
}

func (l *linter) checkChannel(d *document, ch *v1alpha1.Channel) {
	// The sender mapping, as the controller runs it.
	if _, err := specmap.Channel(&ch.Spec); err != nil {
		l.reportSpecErr(d, err)
	}
	// The controller's own check of the links' URL and mailto.
	if _, err := specmap.Preferences(&ch.Spec); err != nil {
		l.reportSpecErr(d, err)
	}
}

func (l *linter) checkPlaybook(d *document, pb *v1alpha1.Playbook) {
	if s := pb.Spec.Trigger.Schedule; s != nil {
		l.checkCron(d, "spec.trigger.schedule.cron", string(s.Cron))
	}
	l.checkJourney(d, pb)
}

// checkCron parses a schedule as Kubernetes CronJobs and the operator's
// workers do (five fields or a @descriptor).
func (l *linter) checkCron(d *document, path, expr string) {
	if expr == "" {
		return
	}
	if err := cronspec.Check(expr); err != nil {
		l.report(d, path, "%v", err)
	}
}

// checkCriteria compiles a segment criteria and points at the line of the
// mistake inside the expression (multi-line block scalars included). It
// reports whether the criteria compiled.
func (l *linter) checkCriteria(d *document, path, expr string) bool {
	if expr == "" {
		return true
	}
	if _, err := segment.Compile(expr); err != nil {
		l.reportCEL(d, path, err)
		return false
	}
	return true
}

// reportCEL reports a CEL compile error at the line of the expression where
// CEL found it.
func (l *linter) reportCEL(d *document, path string, err error) {
	line := lineOf(d.root, path)
	if ce, ok := segment.AsCriteriaError(err); ok && ce.Line > 0 {
		if n := nodeAt(d.root, path); n != nil {
			line = n.Line + ce.Line - 1
			if n.Style == yaml.LiteralStyle || n.Style == yaml.FoldedStyle {
				line++ // block scalars start below their indicator
			}
		}
	}
	l.reportAt(d, line, path, "invalid CEL: %v", err)
}

// checkJourney converts the Playbook as the controller does and compiles it
// with the journey engine (templates with unknown fields, CEL conditions,
// branch targets, ...). Channels come from the linted files; a channel that
// is not there is left to the reference check, so it is not reported twice.
func (l *linter) checkJourney(d *document, pb *v1alpha1.Playbook) {
	cfg, err := specmap.Playbook(pb.Namespace, pb.Name, &pb.Spec)
	if err != nil {
		l.reportSpecErr(d, err)
		return
	}
	channels := map[string]journey.ChannelKind{}
	for _, s := range cfg.Steps {
		if s.Send != nil {
			channels[s.Send.ChannelRef] = journey.KindConsole
			for _, v := range s.Send.Variants {
				if v.ChannelRef != "" {
					channels[v.ChannelRef] = journey.KindConsole
				}
			}
		}
	}
	for _, o := range l.docs {
		if o.kind == "Channel" && o.namespace == d.namespace {
			if ch, ok := typed[v1alpha1.Channel](o); ok {
				channels[ch.Name] = specmap.ChannelKind(&ch.Spec)
			}
		}
	}
	_, err = journey.Compile(cfg, channels)
	if err == nil {
		return
	}
	verr, ok := err.(*journey.ValidationError)
	if !ok {
		l.report(d, "spec", "%v", err)
		return
	}
	for _, p := range verr.Problems {
		path := specPath(p.Field)
		if strings.HasSuffix(path, ".if") || path == "spec.goal.expression" {
			l.reportCEL(d, path, celCause(p, d, path))
			continue
		}
		path, reason := templatePart(path, p.Reason)
		l.report(d, path, "%s", reason)
	}
}

// specErrField splits a conversion error that starts with the field it is
// about ("spec.steps[1].wait.duration: unknown unit") into that field and
// the rest, so it is reported at the field's line, once (report skips
// fields the schema already flagged), not at spec: with the path repeated.
var specErrField = regexp.MustCompile(`^((?:spec|metadata)(?:\.[A-Za-z0-9]+|\[[0-9]+\])*): (.+)$`)

func (l *linter) reportSpecErr(d *document, err error) {
	if m := specErrField.FindStringSubmatch(err.Error()); m != nil {
		l.report(d, m[1], "%s", m[2])
		return
	}
	l.report(d, "spec", "%v", err)
}

// templateErrPart matches the journey's template errors, which name the
// part of the template that failed: `template "hello" body: unknown field`.
var templateErrPart = regexp.MustCompile(`^template "[^"]*" (subject|body|html): `)

// templatePart moves a template error from spec.steps[i].send.template to
// the subject or body it names, so the line is the one to edit. The html
// part is rendered from body (template.html is a switch), so it points there.
func templatePart(path, reason string) (string, string) {
	if !strings.HasSuffix(path, ".send.template") {
		return path, reason
	}
	if m := templateErrPart.FindStringSubmatch(reason); m != nil {
		part := m[1]
		if part == "html" {
			part = "body"
		}
		return path + "." + part, reason
	}
	return path, reason
}

// celCause recompiles the condition at path to get the structured CEL error
// (the journey's FieldError only keeps its text).
func celCause(p *journey.FieldError, d *document, path string) error {
	if n := nodeAt(d.root, path); n != nil {
		if _, err := journey.CompileCondition(n.Value); err != nil {
			if ce, ok := segment.AsCriteriaError(err); ok {
				return ce
			}
		}
	}
	return fmt.Errorf("%s", p.Reason)
}

// journeyRenames maps the engine's Config field names to the Playbook
// spec's where they differ.
var journeyRenames = map[string]string{
	"goal.cel":                    "goal.expression",
	"goal.eventType":              "goal.event",
	"trigger.inactivity.duration": "trigger.inactivity.after",
	"trigger.schedule":            "trigger.schedule.cron",
	"reentry.after":               "reentry.cooldown",
	"name":                        "metadata.name",
}

var waitLocalTime = regexp.MustCompile(`\.wait\.localTime$`)

// specPath turns an engine field path (steps[2].wait.localTime) into the
// manifest's (spec.steps[2].wait.until).
func specPath(p string) string {
	if to, ok := journeyRenames[p]; ok {
		if strings.HasPrefix(to, "metadata.") {
			return to
		}
		return "spec." + to
	}
	p = waitLocalTime.ReplaceAllString(p, ".wait.until")
	return "spec." + p
}

// nodeAt returns the value node at path, or nil.
func nodeAt(root *yaml.Node, path string) *yaml.Node {
	n := root
	for _, s := range parseFieldPath(path) {
		var next *yaml.Node
		switch {
		case s.index >= 0 && n.Kind == yaml.SequenceNode && s.index < len(n.Content):
			next = n.Content[s.index]
		case s.index < 0 && n.Kind == yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == s.key {
					next = n.Content[i+1]
					break
				}
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}
