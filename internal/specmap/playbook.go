package specmap

import (
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/journey"
)

// Playbook converts a Playbook spec. name should be "namespace/name": it is
// part of every idempotency key and of the holdout hash.
func Playbook(namespace, name string, spec *v1alpha1.PlaybookSpec) (journey.Config, error) {
	cfg := journey.Config{
		Name:           namespace + "/" + name,
		Namespace:      namespace,
		SegmentRef:     spec.SegmentRef.Name,
		HoldoutPercent: float64(spec.HoldoutPercent),
		DryRun:         spec.DryRun,
		Suspend:        spec.Suspend,
	}
	var err error
	if cfg.Trigger, err = trigger(&spec.Trigger); err != nil {
		return cfg, err
	}
	if r := spec.Reentry; r != nil && r.Policy == "AfterCooldown" {
		if cfg.Reentry.After, err = Duration("spec.reentry.cooldown", r.Cooldown); err != nil {
			return cfg, err
		}
	}
	for i := range spec.Steps {
		step, err := playbookStep(i, &spec.Steps[i])
		if err != nil {
			return cfg, err
		}
		cfg.Steps = append(cfg.Steps, step)
	}
	if c := spec.FrequencyCap; c != nil {
		per, err := Duration("spec.frequencyCap.per", c.Per)
		if err != nil {
			return cfg, err
		}
		cfg.FrequencyCap = &journey.FrequencyCap{Max: int(c.Max), Per: per}
	}
	if q := spec.QuietHours; q != nil {
		cfg.QuietHours = &journey.QuietHours{Start: string(q.Start), End: string(q.End), DefaultTimeZone: q.DefaultTimeZone}
	}
	if spec.LedgerRetention != "" {
		if cfg.LedgerRetention, err = Duration("spec.ledgerRetention", spec.LedgerRetention); err != nil {
			return cfg, err
		}
		if err := journey.CheckLedgerRetention("spec.ledgerRetention", cfg.LedgerRetention); err != nil {
			return cfg, err
		}
	}
	if g := spec.Goal; g != nil {
		window, err := Duration("spec.goal.window", g.Window)
		if err != nil {
			return cfg, err
		}
		cfg.Goal = &journey.Goal{EventType: g.Event, CEL: g.Expression, Window: window}
		if g.MinOrderAmount != "" {
			if cfg.Goal.MinOrderAmount, err = g.MinOrderAmount.Parse("spec.goal.minOrderAmount"); err != nil {
				return cfg, err
			}
		}
	}
	return cfg, nil
}

func trigger(t *v1alpha1.Trigger) (journey.Trigger, error) {
	var out journey.Trigger
	switch {
	case t.SegmentEntry != nil:
		out.SegmentEntry = true
	case t.Schedule != nil:
		out.Schedule = string(t.Schedule.Cron)
	case t.Event != nil:
		out.Event = &journey.EventTrigger{Type: t.Event.Type, Where: t.Event.Where}
		if t.Event.ProgramRef != nil {
			out.Event.ProgramRef = t.Event.ProgramRef.Name
		}
	case t.Inactivity != nil:
		d, err := Duration("spec.trigger.inactivity.after", t.Inactivity.After)
		if err != nil {
			return out, err
		}
		out.Inactivity = &journey.InactivityTrigger{Duration: d}
	case t.Anniversary != nil:
		of := journey.AnniversarySignup
		if t.Anniversary.Of == "FirstOrder" {
			of = journey.AnniversaryFirstOrder
		}
		out.Anniversary = &journey.AnniversaryTrigger{Of: of}
	case t.TierChange != nil:
		out.TierChange = &journey.TierChangeTrigger{ProgramRef: t.TierChange.ProgramRef.Name, To: t.TierChange.To}
	case t.Broadcast != nil:
		b, err := broadcast(t.Broadcast)
		if err != nil {
			return out, err
		}
		out.Broadcast = b
	}
	return out, nil
}

// broadcast converts a broadcast trigger; At must carry its zone offset
// (RFC 3339), so the instant never depends on where the worker runs.
func broadcast(b *v1alpha1.BroadcastTrigger) (*journey.BroadcastTrigger, error) {
	at, err := time.Parse(time.RFC3339, b.At)
	if err != nil {
		return nil, fmt.Errorf("spec.trigger.broadcast.at: %q is not an RFC 3339 time with a zone offset, e.g. 2026-12-01T09:00:00Z", b.At)
	}
	out := &journey.BroadcastTrigger{At: at, LocalTime: string(b.LocalTime)}
	if b.StartingDeadline != "" {
		if out.StartingDeadline, err = Duration("spec.trigger.broadcast.startingDeadline", b.StartingDeadline); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func playbookStep(i int, s *v1alpha1.Step) (journey.Step, error) {
	out := journey.Step{Name: s.Name}
	field := fmt.Sprintf("spec.steps[%d]", i)
	switch {
	case s.Send != nil:
		tmpl := journey.Template{Subject: s.Send.Template.Subject}
		if s.Send.Template.HTML {
			tmpl.HTML = s.Send.Template.Body
		} else {
			tmpl.Body = s.Send.Template.Body
		}
		out.Send = &journey.SendStep{ChannelRef: s.Send.ChannelRef.Name, Topic: SendTopic(s.Send), Template: tmpl}
		variants(s.Send, out.Send)
	case s.Wait != nil:
		d, err := Duration(field+".wait.duration", s.Wait.Duration)
		if err != nil {
			return out, err
		}
		out.Wait = &journey.WaitStep{Duration: d, LocalTime: string(s.Wait.Until)}
	case s.WaitFor != nil:
		d, err := Duration(field+".waitFor.timeout", s.WaitFor.Timeout)
		if err != nil {
			return out, err
		}
		out.WaitFor = &journey.WaitForStep{Event: s.WaitFor.Event, Timeout: d, Then: s.WaitFor.Then, Else: s.WaitFor.Else}
	case s.Branch != nil:
		out.Branch = &journey.BranchStep{If: s.Branch.If, Then: s.Branch.Then, Else: s.Branch.Else}
	case s.AwardPoints != nil:
		out.AwardPoints = &journey.AwardPointsStep{ProgramRef: s.AwardPoints.ProgramRef.Name, Points: s.AwardPoints.Points,
			Reason: s.AwardPoints.Reason}
	case s.Exit != nil:
		out.Exit = &journey.ExitStep{If: s.Exit.If}
	}
	return out, nil
}

// Duration parses a duration field, naming the field in the error.
func Duration(field string, d v1alpha1.Duration) (time.Duration, error) {
	v, err := d.Parse()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", field, err)
	}
	return v, nil
}
