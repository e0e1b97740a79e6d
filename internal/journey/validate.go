package journey

import (
	"errors"
	"fmt"
	"strings"
)

// FieldError is one validation problem, naming the field path in the
// Playbook spec (e.g. steps[2].send.channelRef) so the controller can put it
// into a Ready=False condition message verbatim.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// ValidationError holds every problem found in a Config.
type ValidationError struct{ Problems []*FieldError }

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Error()
	}
	return "invalid playbook: " + strings.Join(parts, "; ")
}

// Playbook is a validated, compiled Config ready to advance journeys.
type Playbook struct {
	Config
	channels  map[string]ChannelKind
	index     map[string]int
	renderers []*Renderer
	// variantRenderers[i][j] renders variant j of send step i (nil without variants).
	variantRenderers [][]*Renderer
	conds            []*Condition
	quiet            *QuietWindow
	// broadcastAt is the broadcast trigger's localTime (-1 without one).
	broadcastAt ClockTime
	waitAt      []ClockTime
	goal        *Condition
	// where is the event trigger's compiled filter (nil: every event fires).
	where *Condition
	// Links, set by the worker, gives each message its signed unsubscribe
	// and preference links (nil: none).
	Links LinksFunc
}

// Compile validates cfg against the channels that exist (name -> kind) and
// compiles its templates and CEL expressions. Nothing may be sent for a
// config that does not compile: every problem is returned at once.
func Compile(cfg Config, channels map[string]ChannelKind) (*Playbook, error) {
	p := &Playbook{Config: cfg, channels: channels, index: map[string]int{},
		renderers: make([]*Renderer, len(cfg.Steps)), variantRenderers: make([][]*Renderer, len(cfg.Steps)), conds: make([]*Condition, len(cfg.Steps)),
		waitAt: make([]ClockTime, len(cfg.Steps))}
	var probs []*FieldError
	bad := func(field, format string, a ...any) {
		probs = append(probs, &FieldError{Field: field, Reason: fmt.Sprintf(format, a...)})
	}
	if cfg.Name == "" {
		bad("name", "must not be empty")
	}
	validateTrigger(cfg.Trigger, bad)
	if e := cfg.Trigger.Event; e != nil && e.Where != "" {
		if e.ProgramRef != "" {
			bad("trigger.event.where", "applies to events of the data source, not to a loyalty programme's points_expiring list")
		} else if c, err := CompileEventFilter(e.Where); err != nil {
			bad("trigger.event.where", "invalid CEL %q: %v", e.Where, err)
		} else {
			p.where = c
		}
	}
	p.compileBroadcast(bad)
	if cfg.Reentry.After < 0 {
		bad("reentry.after", "must not be negative")
	}
	if len(cfg.Steps) == 0 {
		bad("steps", "at least one step is required")
	}
	for i, s := range cfg.Steps {
		if s.Name == "" {
			bad(fmt.Sprintf("steps[%d].name", i), "must not be empty")
			continue
		}
		if _, dup := p.index[s.Name]; dup {
			bad(fmt.Sprintf("steps[%d].name", i), "duplicate step name %q", s.Name)
		}
		p.index[s.Name] = i
	}
	for i, s := range cfg.Steps {
		p.compileStep(i, s, bad)
	}
	if len(probs) == 0 {
		p.checkCycles(bad)
	}
	if c := cfg.FrequencyCap; c != nil && (c.Max <= 0 || c.Per <= 0) {
		bad("frequencyCap", "max and per must both be positive (got max=%d per=%s)", c.Max, c.Per)
	}
	if q, err := ParseQuietHours(cfg.QuietHours); err != nil {
		bad("quietHours", "%v", err)
	} else {
		p.quiet = q
	}
	if cfg.HoldoutPercent < 0 || cfg.HoldoutPercent > 50 {
		bad("holdoutPercent", "must be between 0 and 50, got %g", cfg.HoldoutPercent)
	}
	if g := cfg.Goal; g != nil {
		switch {
		case (g.EventType == "") == (g.CEL == ""):
			bad("goal", "set exactly one of eventType or cel")
		case g.CEL != "":
			if c, err := CompileCondition(g.CEL); err != nil {
				bad("goal.cel", "invalid CEL %q: %v", g.CEL, err)
			} else {
				p.goal = c
			}
		}
		if g.Window <= 0 {
			bad("goal.window", "must be positive")
		}
		if g.MinOrderAmount < 0 || (g.MinOrderAmount > 0 && g.EventType != OrderPlacedGoal) {
			bad("goal.minOrderAmount", "applies to the %s goal only and must not be negative", OrderPlacedGoal)
		}
	}
	if len(probs) > 0 {
		return nil, &ValidationError{Problems: probs}
	}
	return p, nil
}

func validateTrigger(t Trigger, bad func(string, string, ...any)) {
	set := 0
	for _, on := range []bool{t.SegmentEntry, t.Schedule != "", t.Event != nil, t.Inactivity != nil,
		t.Anniversary != nil, t.TierChange != nil, t.Broadcast != nil} {
		if on {
			set++
		}
	}
	if set != 1 {
		bad("trigger", "set exactly one of segmentEntry, schedule, event, inactivity, anniversary, tierChange, broadcast (%d set)", set)
	}
	switch {
	case t.Event != nil && t.Event.Type == "":
		bad("trigger.event.type", "must not be empty")
	case t.Inactivity != nil && t.Inactivity.Duration <= 0:
		bad("trigger.inactivity.duration", "must be positive")
	case t.Anniversary != nil && t.Anniversary.Of != AnniversaryFirstOrder && t.Anniversary.Of != AnniversarySignup:
		bad("trigger.anniversary.of", "must be firstOrder or signup, got %q", t.Anniversary.Of)
	case t.TierChange != nil && t.TierChange.To == "":
		bad("trigger.tierChange.to", "must not be empty")
	}
}

func (p *Playbook) compileStep(i int, s Step, bad func(string, string, ...any)) {
	at := fmt.Sprintf("steps[%d]", i)
	set := 0
	for _, on := range []bool{s.Send != nil, s.Wait != nil, s.WaitFor != nil, s.Branch != nil, s.AwardPoints != nil, s.Exit != nil} {
		if on {
			set++
		}
	}
	if set != 1 {
		bad(at, "step %q: set exactly one of send, wait, waitFor, branch, awardPoints, exit (%d set)", s.Name, set)
		return
	}
	switch {
	case s.Send != nil:
		if _, ok := p.channels[s.Send.ChannelRef]; !ok {
			bad(at+".send.channelRef", "step %q: unknown channel %q; create the Channel or fix the name", s.Name, s.Send.ChannelRef)
		}
		r, err := CompileTemplate(fmt.Sprintf("%q", s.Name), s.Send.Template)
		if err != nil {
			bad(at+".send.template"+templateField(err, s.Send.Template), "%v", err)
		}
		p.renderers[i] = r
		p.compileVariants(i, at, s, bad)
	case s.Wait != nil:
		switch {
		case (s.Wait.Duration > 0) == (s.Wait.LocalTime != ""):
			bad(at+".wait", "step %q: set exactly one of a positive duration or localTime", s.Name)
		case s.Wait.LocalTime != "":
			c, err := ParseClockTime(s.Wait.LocalTime)
			if err != nil {
				bad(at+".wait.localTime", "step %q: %v", s.Name, err)
			}
			p.waitAt[i] = c
		}
	case s.WaitFor != nil:
		p.compileWaitFor(at, s, bad)
	case s.Branch != nil:
		c, err := CompileCondition(s.Branch.If)
		if err != nil {
			bad(at+".branch.if", "step %q: invalid CEL %q: %v", s.Name, s.Branch.If, err)
		}
		p.conds[i] = c
		for field, target := range map[string]string{"then": s.Branch.Then, "else": s.Branch.Else} {
			if _, ok := p.index[target]; target != "" && !ok {
				bad(at+".branch."+field, "step %q: no step named %q", s.Name, target)
			}
		}
	case s.AwardPoints != nil:
		if s.AwardPoints.ProgramRef == "" || s.AwardPoints.Points == 0 {
			bad(at+".awardPoints", "step %q: programRef and non-zero points are required", s.Name)
		}
	case s.Exit != nil:
		if s.Exit.If != "" {
			c, err := CompileCondition(s.Exit.If)
			if err != nil {
				bad(at+".exit.if", "step %q: invalid CEL %q: %v", s.Name, s.Exit.If, err)
			}
			p.conds[i] = c
		}
	}
}

// ChannelKindOf returns the kind of a channel the playbook was compiled with.
func (p *Playbook) ChannelKindOf(name string) ChannelKind { return p.channels[name] }

// templateField is the field suffix of the template part err is about. The
// Playbook spec has no html field: an HTML body is spec.template.body with
// html: true (see specmap), so an html error names .body unless the config
// also has a plain Body of its own.
func templateField(err error, t Template) string {
	var te *TemplateError
	if !errors.As(err, &te) {
		return ""
	}
	if te.Part == "html" && t.Body == "" {
		return ".body"
	}
	return "." + te.Part
}
