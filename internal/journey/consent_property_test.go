package journey

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// rawConsent restates the documented consent rule from the raw customer row,
// independently of HasConsent.
func rawConsent(kind ChannelKind, f *customer.Features) bool {
	switch kind {
	case KindEmail:
		return f.ConsentEmail
	case KindSMS:
		return f.ConsentSMS
	case KindWebhook:
		return f.Attributes["consentWebhook"] == "true"
	}
	return false
}

// randomPlaybook builds a valid playbook from a seed: any trigger, 1-8 steps
// of every kind (branches jump forward or back, waits use durations and local
// times), optional quiet hours, cap and holdout.
func randomPlaybook(r *rand.Rand, i int) Config {
	triggers := []Trigger{{SegmentEntry: true}, {Schedule: "0 9 * * *"}, {Event: &EventTrigger{Type: "visit"}},
		{Inactivity: &InactivityTrigger{Duration: 30 * 24 * time.Hour}}, {Anniversary: &AnniversaryTrigger{Of: AnniversarySignup}},
		{TierChange: &TierChangeTrigger{To: "gold"}}}
	n := 1 + r.IntN(8)
	steps := make([]Step, n)
	chans := []string{"mail", "hook", "text"}
	conds := []string{"customer.monetary > 50.0", "journey.sends >= 1", "customer.consentEmail", "journey.daysInJourney > 1.0", "true"}
	for s := range steps {
		name := fmt.Sprintf("s%d", s)
		switch r.IntN(5) {
		case 0, 1:
			steps[s] = sendStep(name, chans[r.IntN(3)], "Hi {{.email}}")
		case 2:
			if r.IntN(2) == 0 {
				steps[s] = Step{Name: name, Wait: &WaitStep{Duration: time.Duration(1+r.IntN(72)) * time.Hour}}
			} else {
				steps[s] = Step{Name: name, Wait: &WaitStep{LocalTime: fmt.Sprintf("%02d:%02d", r.IntN(24), r.IntN(60))}}
			}
		case 3:
			// Branch forward only: a loop without a wait is refused by
			// Compile (it would never let time pass).
			then := ""
			if s+1 < n {
				then = fmt.Sprintf("s%d", s+1+r.IntN(n-s-1))
			}
			steps[s] = Step{Name: name, Branch: &BranchStep{If: conds[r.IntN(len(conds))], Then: then, Else: ""}}
		case 4:
			if r.IntN(2) == 0 {
				steps[s] = Step{Name: name, AwardPoints: &AwardPointsStep{ProgramRef: "club", Points: 10}}
			} else {
				steps[s] = Step{Name: name, Exit: &ExitStep{If: conds[r.IntN(len(conds))] + " && false"}}
			}
		}
	}
	cfg := Config{Name: fmt.Sprintf("prop-%d", i), Trigger: triggers[r.IntN(len(triggers))], Steps: steps,
		HoldoutPercent: float64(r.IntN(3) * 10)}
	if r.IntN(2) == 0 {
		cfg.QuietHours = &QuietHours{Start: "21:00", End: "08:00", DefaultTimeZone: "America/New_York"}
	}
	if r.IntN(2) == 0 {
		cfg.FrequencyCap = &FrequencyCap{Max: 1 + r.IntN(3), Per: 24 * time.Hour}
	}
	return cfg
}

// Property: over 300 generated playbooks and 40 customers each with random
// consent, walked for up to 60 simulated days across the DST change, no
// message is ever sent to a customer without consent for that channel.
func TestPropertyNoSendWithoutConsent(t *testing.T) {
	r := rand.New(rand.NewPCG(20261124, 7))
	zones := []string{"America/New_York", "Europe/Berlin", "", "Asia/Kolkata"}
	var sends, refused int
	for i := 0; i < 300; i++ {
		p := compile(t, randomPlaybook(r, i))
		for c := 0; c < 40; c++ {
			id := fmt.Sprintf("c%d", c)
			f := &customer.Features{ID: id, Email: id + "@x", TimeZone: zones[r.IntN(len(zones))],
				ConsentEmail: r.IntN(2) == 0, ConsentSMS: r.IntN(2) == 0, Monetary: float64(r.IntN(100)),
				Attributes: map[string]string{"consentWebhook": []string{"true", "false", ""}[r.IntN(3)], "phone": "+1"}}
			now := utc("2026-03-01T00:00:00Z").Add(time.Duration(r.IntN(1440)) * time.Minute)
			st := p.Enrol(id, nil, now)
			for round := 0; round < 200 && !st.Done(); round++ {
				var effs []Effect
				// Consent may change while the journey runs: it is read at send time.
				if r.IntN(5) == 0 {
					f.ConsentEmail = !f.ConsentEmail
				}
				st, effs = p.Advance(st, Input{Now: now, Customer: f, SentInWindow: r.IntN(2)})
				for _, e := range effs {
					switch {
					case e.Kind == EffectSend && !rawConsent(e.ChannelKind, f):
						t.Fatalf("playbook %d customer %s: sent via %s (%s) without consent", i, id, e.Channel, e.ChannelKind)
					case e.Kind == EffectSend && st.Holdout:
						t.Fatalf("playbook %d: holdout customer messaged", i)
					case e.Kind == EffectSend:
						sends++
					case e.Reason == ReasonConsent:
						refused++
					}
				}
				if st.DueAt.After(now) {
					now = st.DueAt
				} else {
					now = now.Add(time.Hour)
				}
			}
		}
	}
	if sends == 0 || refused == 0 {
		t.Fatalf("generator too narrow: %d sends, %d consent refusals", sends, refused)
	}
	t.Logf("%d sends, %d consent refusals", sends, refused)
}
