package cmd

import (
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/worker/campaign"
	"github.com/retention-dev/retention-operator/internal/worker/loyalty"
)

// loyaltyReport maps the loyalty worker's summary to what the LoyaltyProgram
// controller folds into status. Rates become percent (redemptionRate 0.25
// -> 25); repeat rates are set only when the run read the orders and had
// such buyers.
func loyaltyReport(s loyalty.Summary) report.Loyalty {
	r := report.Loyalty{
		ReportTime:        s.AsOf.UTC(),
		Members:           s.Members,
		MembersPerTier:    s.MembersPerTier,
		PointsOutstanding: s.PointsOutstanding,
		Liability:         report.Figure(s.Liability),
		RedemptionRate:    report.Figure(100 * s.RedemptionRate),
	}
	if s.Repeat != nil {
		if s.Repeat.MemberBuyers > 0 {
			r.RepeatRateMembers = percent(s.Repeat.MemberRate)
		}
		if s.Repeat.NonMemberBuyers > 0 {
			r.RepeatRateNonMembers = percent(s.Repeat.NonMemberRate)
		}
	}
	return r
}

// percent is a rate as the report carries it.
func percent(rate float64) *report.Figure {
	f := report.Figure(100 * rate)
	return &f
}

// playbookReport maps the campaign worker's summary to what the Playbook
// controller folds into status. Arms count journeys (treatment = not in the
// holdout); lift and its 95% interval are in percentage points,
// 100 * (pT - pH), and only set once both arms have journeys.
func playbookReport(s *campaign.Summary) report.Playbook {
	c := s.Conversions
	r := report.Playbook{
		ReportTime:      s.At.UTC(),
		Enrolled:        s.Enrolled,
		Active:          s.Active,
		Completed:       s.Completed,
		Exited:          s.Exited,
		Messages:        s.Messages,
		Sent:            s.Sent,
		Failed:          s.Failed,
		Pending:         s.Pending,
		DryRunMessages:  s.DryRunCount,
		Deferred:        s.Deferred,
		ConditionErrors: s.ConditionErrors,
		Treatment:       report.Arm{Enrolled: c.TreatmentJourneys, Converted: c.Treatment},
		Holdout:         report.Arm{Enrolled: c.HoldoutJourneys, Converted: c.Holdout},
	}
	if len(s.Suppressed) > 0 {
		r.Suppressed = s.Suppressed
	}
	if s.Lift.Valid {
		lift, low, high := 100*s.Lift.Difference, 100*s.Lift.Low, 100*s.Lift.High
		r.Lift, r.LiftLow, r.LiftHigh = &lift, &low, &high
	}
	r.Variants, r.VariantWinners = variantReport(s)
	if b := s.Broadcast; b != nil {
		r.Broadcast = &report.Broadcast{State: string(b.State)}
		if !b.StartedAt.IsZero() {
			started := b.StartedAt.UTC()
			r.Broadcast.StartedAt = &started
		}
	}
	return r
}
