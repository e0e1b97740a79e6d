package campaign

import (
	"fmt"

	"github.com/robfig/cron/v3"

	"github.com/retention-dev/retention-operator/internal/journey"
)

// Validate compiles the playbook against the configured channels and checks
// the wiring the engine cannot see (a sender per channel, the cron schedule,
// an award function for awardPoints steps). It sends nothing; Run calls it
// first, and the controller may call it to set Ready=False with its message.
func Validate(o Options) (*journey.Playbook, cron.Schedule, error) {
	kinds := map[string]journey.ChannelKind{}
	for name, kind := range o.ChannelKinds {
		if _, ok := o.Channels[name]; ok || o.Playbook.DryRun || o.DryRun {
			kinds[name] = kind
		}
	}
	pb, err := journey.Compile(o.Playbook, kinds)
	var probs []*journey.FieldError
	if err != nil {
		ve, ok := err.(*journey.ValidationError)
		if !ok {
			return nil, nil, err
		}
		probs = ve.Problems
	}
	var sched cron.Schedule
	if s := o.Playbook.Trigger.Schedule; s != "" {
		if sched, err = cron.ParseStandard(s); err != nil {
			probs = append(probs, &journey.FieldError{Field: "trigger.schedule", Reason: fmt.Sprintf("invalid cron %q: %v", s, err)})
		}
	}
	for i, s := range o.Playbook.Steps {
		if s.AwardPoints != nil && o.Award == nil {
			probs = append(probs, &journey.FieldError{Field: fmt.Sprintf("steps[%d].awardPoints", i),
				Reason: fmt.Sprintf("step %q awards points but the worker has no loyalty program connection", s.Name)})
		}
	}
	if ev := o.Playbook.Trigger.Event; ev != nil && ev.ProgramRef != "" {
		switch {
		case ev.Type != PointsExpiringEvent:
			probs = append(probs, &journey.FieldError{Field: "trigger.event.programRef",
				Reason: fmt.Sprintf("a loyalty program supplies %s events only, not %q", PointsExpiringEvent, ev.Type)})
		case o.PointsExpiring == nil:
			probs = append(probs, &journey.FieldError{Field: "trigger.event.programRef",
				Reason: fmt.Sprintf("the worker has no connection to loyalty program %q", ev.ProgramRef)})
		}
	}
	switch o.InitialMembers {
	case "", InitialMembersEnrol, InitialMembersSkip:
	default:
		probs = append(probs, &journey.FieldError{Field: "trigger.segmentEntry.initialMembers",
			Reason: fmt.Sprintf("%q is not one of %s or %s", o.InitialMembers, InitialMembersEnrol, InitialMembersSkip)})
	}
	if o.Source == nil {
		probs = append(probs, &journey.FieldError{Field: "segmentRef", Reason: "no data source connected"})
	}
	if len(probs) > 0 {
		return nil, nil, &journey.ValidationError{Problems: probs}
	}
	return pb, sched, nil
}
