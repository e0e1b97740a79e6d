package journey

import (
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

func testCustomer(id string, consent bool) *customer.Features {
	return &customer.Features{ID: id, Email: id + "@example.com", ConsentEmail: consent, ConsentSMS: consent,
		TimeZone: "Europe/Berlin", Attributes: map[string]string{"consentWebhook": map[bool]string{true: "true"}[consent], "phone": "+49"}}
}

func compile(t *testing.T, cfg Config) *Playbook {
	t.Helper()
	p, err := Compile(cfg, testChannels)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAdvanceWalksStepsWithWaitBranchAwardExit(t *testing.T) {
	p := compile(t, Config{Name: "ns/welcome", Trigger: Trigger{SegmentEntry: true}, Steps: []Step{
		sendStep("hello", "mail", "Hello {{.email}}"),
		{Name: "pause", Wait: &WaitStep{Duration: 48 * time.Hour}},
		{Name: "vip?", Branch: &BranchStep{If: "customer.monetary > 100.0", Then: "reward", Else: "bye"}},
		{Name: "reward", AwardPoints: &AwardPointsStep{ProgramRef: "club", Points: 50}},
		{Name: "stop", Exit: &ExitStep{}},
		sendStep("bye", "hook", "bye"),
	}})
	now := utc("2026-05-01T10:00:00Z")
	f := testCustomer("c1", true)
	f.Monetary = 150
	st := p.Enrol("c1", nil, now)
	st, effs := p.Advance(st, Input{Now: now, Customer: f})
	if len(effs) != 1 || effs[0].Kind != EffectSend || effs[0].Message.To != "c1@example.com" || effs[0].Message.Body != "Hello c1@example.com" {
		t.Fatalf("first advance: %+v", effs)
	}
	if effs[0].Key != IdempotencyKey("ns/welcome", "c1", 1, "hello") || len(effs[0].Key) != 32 {
		t.Fatalf("key %q", effs[0].Key)
	}
	if st.StepName != "pause" || !st.DueAt.Equal(now.Add(48*time.Hour)) || st.Status != Active {
		t.Fatalf("state after first advance: %+v", st)
	}
	// Not due yet: nothing happens.
	if st2, effs := p.Advance(st, Input{Now: now.Add(47 * time.Hour), Customer: f}); effs != nil || st2 != st {
		t.Fatalf("advanced early: %+v", effs)
	}
	st, effs = p.Advance(st, Input{Now: now.Add(48 * time.Hour), Customer: f})
	if len(effs) != 1 || effs[0].Kind != EffectAward || effs[0].Points != 50 || st.Status != Exited {
		t.Fatalf("vip path: %+v %+v", effs, st)
	}
	// The non-VIP path skips the reward and sends through the webhook.
	f.Monetary = 10
	st = p.Enrol("c1", nil, now)
	st, _ = p.Advance(st, Input{Now: now, Customer: f})
	st, effs = p.Advance(st, Input{Now: now.Add(49 * time.Hour), Customer: f})
	if len(effs) != 1 || effs[0].Kind != EffectSend || effs[0].Channel != "hook" || effs[0].Message.To != "c1" || st.Status != Completed || st.Sends != 2 {
		t.Fatalf("else path: %+v %+v", effs, st)
	}
}

func TestAdvanceQuietHoursDefersThenSends(t *testing.T) {
	p := compile(t, Config{Name: "p", Trigger: Trigger{SegmentEntry: true},
		QuietHours: &QuietHours{Start: "21:00", End: "08:00", DefaultTimeZone: "America/New_York"},
		Steps:      []Step{sendStep("s", "mail", "x")}})
	f := testCustomer("c", true)
	f.TimeZone = "" // falls back to the playbook default zone
	at := utc("2026-03-08T03:00:00Z")
	st, effs := p.Advance(p.Enrol("c", nil, at), Input{Now: at, Customer: f})
	if len(effs) != 1 || effs[0].Kind != EffectDefer || !st.DueAt.Equal(utc("2026-03-08T12:00:00Z")) || st.Step != 0 {
		t.Fatalf("defer: %+v %+v", effs, st)
	}
	st, effs = p.Advance(st, Input{Now: st.DueAt, Customer: f})
	if len(effs) != 1 || effs[0].Kind != EffectSend || st.Status != Completed {
		t.Fatalf("send after quiet hours: %+v %+v", effs, st)
	}
}

func TestAdvanceSuppressions(t *testing.T) {
	cfg := Config{Name: "p", Trigger: Trigger{SegmentEntry: true}, FrequencyCap: &FrequencyCap{Max: 2, Per: 24 * time.Hour},
		Steps: []Step{sendStep("a", "mail", "x"), sendStep("b", "text", "y"), sendStep("c", "hook", "z")}}
	p := compile(t, cfg)
	now := utc("2026-05-01T12:00:00Z")
	cases := []struct {
		name    string
		consent bool
		sent    int
		holdout float64
		want    []Reason // per step; "" = sent
	}{
		{"all sent within cap", true, 0, 0, []Reason{"", "", ReasonFrequencyCap}},
		{"cap already reached by another playbook", true, 2, 0, []Reason{ReasonFrequencyCap, ReasonFrequencyCap, ReasonFrequencyCap}},
		{"no consent", false, 0, 0, []Reason{ReasonConsent, ReasonConsent, ReasonConsent}},
		{"holdout", true, 0, 100, []Reason{ReasonHoldout, ReasonHoldout, ReasonHoldout}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := p.Enrol("c", nil, now)
			st.Holdout = c.holdout > 0
			_, effs := p.Advance(st, Input{Now: now, Customer: testCustomer("c", c.consent), SentInWindow: c.sent})
			if len(effs) != 3 {
				t.Fatalf("effects %+v", effs)
			}
			for i, e := range effs {
				if c.want[i] == "" && e.Kind != EffectSend || c.want[i] != "" && (e.Kind != EffectSuppress || e.Reason != c.want[i]) {
					t.Errorf("step %d: %+v, want %q", i, e, c.want[i])
				}
			}
		})
	}
}

func TestGoalConversionWindow(t *testing.T) {
	p := compile(t, Config{Name: "p", Trigger: Trigger{SegmentEntry: true}, Goal: &Goal{EventType: "order", Window: 7 * 24 * time.Hour},
		Steps: []Step{{Name: "w", Wait: &WaitStep{Duration: 30 * 24 * time.Hour}}}})
	now := utc("2026-05-01T00:00:00Z")
	st := p.Enrol("c", nil, now)
	if p.GoalEvent(&st, customer.Event{Type: "order", OccurredAt: now.Add(-time.Hour)}) {
		t.Error("event before enrolment converted")
	}
	if p.GoalEvent(&st, customer.Event{Type: "order", OccurredAt: now.Add(8 * 24 * time.Hour)}) {
		t.Error("event after window converted")
	}
	if p.GoalEvent(&st, customer.Event{Type: "visit", OccurredAt: now.Add(time.Hour)}) {
		t.Error("other event type converted")
	}
	at := now.Add(6 * 24 * time.Hour)
	if !p.GoalEvent(&st, customer.Event{Type: "order", OccurredAt: at}) {
		t.Fatal("event inside window did not convert")
	}
	p.Convert(&st, at)
	if !st.Converted || st.Status != Exited || !st.FinishedAt.Equal(at) {
		t.Fatalf("%+v", st)
	}
}

func TestReentryAndTriggers(t *testing.T) {
	now := utc("2026-05-01T00:00:00Z")
	done := &State{Status: Completed, FinishedAt: now.Add(-10 * 24 * time.Hour)}
	cases := []struct {
		name string
		r    Reentry
		prev *State
		want bool
	}{
		{"first time", Reentry{}, nil, true},
		{"once, already done", Reentry{}, done, false},
		{"active", Reentry{After: time.Hour}, &State{Status: Active}, false},
		{"cool-down passed", Reentry{After: 7 * 24 * time.Hour}, done, true},
		{"cool-down not passed", Reentry{After: 30 * 24 * time.Hour}, done, false},
	}
	for _, c := range cases {
		if got := CanEnter(c.r, c.prev, now); got != c.want {
			t.Errorf("%s: CanEnter = %v", c.name, got)
		}
	}
	if got := SegmentEntered(map[string]bool{"a": true, "b": true}, map[string]bool{"b": true, "c": true, "d": true}); len(got) != 2 || got[0] != "c" || got[1] != "d" {
		t.Errorf("SegmentEntered = %v", got)
	}
	f := &customer.Features{CreatedAt: utc("2024-02-29T10:00:00Z"), LastOrderAt: utc("2026-03-01T00:00:00Z")}
	berlin := mustZone(t, "Europe/Berlin")
	if ok, year := AnniversaryFires(&AnniversaryTrigger{Of: AnniversarySignup}, f, utc("2026-02-28T12:00:00Z"), berlin); !ok || year != 2026 {
		t.Errorf("leap-day anniversary not on 28 Feb 2026")
	}
	if ok, _ := AnniversaryFires(&AnniversaryTrigger{Of: AnniversarySignup}, f, utc("2024-02-29T12:00:00Z"), berlin); ok {
		t.Errorf("sign-up day itself counted")
	}
	if !InactivityFires(&InactivityTrigger{Duration: 60 * 24 * time.Hour}, f, now) || InactivityFires(&InactivityTrigger{Duration: 90 * 24 * time.Hour}, f, now) {
		t.Errorf("inactivity: 61 days since last order")
	}
	if !TierChanged(&TierChangeTrigger{To: "gold"}, "silver", "gold") || TierChanged(&TierChangeTrigger{To: "gold"}, "", "gold") {
		t.Errorf("tier change")
	}
}
