package journey

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var testChannels = map[string]ChannelKind{"mail": KindEmail, "hook": KindWebhook, "text": KindSMS}

func sendStep(name, ch, body string) Step {
	return Step{Name: name, Send: &SendStep{ChannelRef: ch, Template: Template{Subject: "Hi", Body: body}}}
}

func TestCompileRejectsBadInputNamingIt(t *testing.T) {
	base := func() Config {
		return Config{Name: "p", Trigger: Trigger{SegmentEntry: true}, Steps: []Step{sendStep("welcome", "mail", "Hello {{.email}}")}}
	}
	cases := []struct {
		name  string
		edit  func(*Config)
		field string
		want  string
	}{
		{"unknown channel", func(c *Config) { c.Steps[0].Send.ChannelRef = "pigeon" }, "steps[0].send.channelRef", `unknown channel "pigeon"`},
		{"unknown template field", func(c *Config) { c.Steps[0].Send.Template.Body = "Hi {{.firstName}}" }, "steps[0].send.template.body", `template "welcome" body: unknown field "firstName"`},
		{"unknown field via $", func(c *Config) { c.Steps[0].Send.Template.Subject = "{{with .attributes}}{{$.nope}}{{end}}" }, "steps[0].send.template.subject", `unknown field "nope"`},
		{"unknown field in html", func(c *Config) { c.Steps[0].Send.Template.HTML = "<p>{{.Email}}</p>" }, "steps[0].send.template.html", `html: unknown field "Email"`},
		{"template syntax", func(c *Config) { c.Steps[0].Send.Template.Body = "{{.email" }, "steps[0].send.template.body", `template "welcome" body`},
		{"invalid CEL branch", func(c *Config) {
			c.Steps = append(c.Steps, Step{Name: "b", Branch: &BranchStep{If: "customer.recencyDays >"}})
		}, "steps[1].branch.if", `invalid CEL "customer.recencyDays >"`},
		{"branch to missing step", func(c *Config) {
			c.Steps = append(c.Steps, Step{Name: "b", Branch: &BranchStep{If: "true", Then: "nowhere"}})
		}, "steps[1].branch.then", `no step named "nowhere"`},
		{"two triggers", func(c *Config) { c.Trigger.Schedule = "0 9 * * *" }, "trigger", "exactly one"},
		{"holdout too big", func(c *Config) { c.HoldoutPercent = 60 }, "holdoutPercent", "between 0 and 50"},
		{"bad quiet hours", func(c *Config) { c.QuietHours = &QuietHours{Start: "9pm", End: "08:00"} }, "quietHours", "quietHours.start"},
		{"bad wait", func(c *Config) { c.Steps = append(c.Steps, Step{Name: "w", Wait: &WaitStep{LocalTime: "25:00"}}) }, "steps[1].wait.localTime", "HH:MM"},
		{"duplicate step", func(c *Config) { c.Steps = append(c.Steps, sendStep("welcome", "mail", "x")) }, "steps[1].name", "duplicate"},
		{"goal both", func(c *Config) { c.Goal = &Goal{EventType: "order", CEL: "true", Window: time.Hour} }, "goal", "exactly one"},
		{"min amount on an event goal", func(c *Config) { c.Goal = &Goal{EventType: "review", MinOrderAmount: 50, Window: time.Hour} }, "goal.minOrderAmount", "order_placed goal only"},
		{"negative min amount", func(c *Config) { c.Goal = &Goal{EventType: OrderPlacedGoal, MinOrderAmount: -1, Window: time.Hour} }, "goal.minOrderAmount", "must not be negative"},
		{"cap without per", func(c *Config) { c.FrequencyCap = &FrequencyCap{Max: 1} }, "frequencyCap", "positive"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := base()
			c.edit(&cfg)
			_, err := Compile(cfg, testChannels)
			if err == nil {
				t.Fatal("accepted")
			}
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("not a validation error: %v", err)
			}
			var found bool
			for _, p := range verr.Problems {
				if p.Field == c.field && strings.Contains(p.Reason, c.want) {
					found = true
				}
			}
			if !found {
				t.Fatalf("error %q does not name %s with %q", err, c.field, c.want)
			}
		})
	}
	if _, err := Compile(base(), testChannels); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
}

func TestTemplateRendersKnownFields(t *testing.T) {
	r, err := CompileTemplate("t", Template{Subject: "Hi {{.attributes.firstName}}", Body: "{{.email}} is {{.loyaltyTier}}",
		HTML: "<b>{{.email}}</b>"})
	if err != nil {
		t.Fatal(err)
	}
	f := testCustomer("c1", true)
	f.Attributes = map[string]string{"firstName": "Ada"}
	f.LoyaltyTier = "gold"
	f.Email = "a<b>@x"
	s, b, h, err := r.Render(f)
	if err != nil {
		t.Fatal(err)
	}
	if s != "Hi Ada" || b != "a<b>@x is gold" || h != "<b>a&lt;b&gt;@x</b>" {
		t.Fatalf("got %q %q %q", s, b, h)
	}
	// An attribute the customer lacks fails at render time (missingkey=error).
	f.Attributes = map[string]string{}
	if _, _, _, err := r.Render(f); err == nil {
		t.Fatal("missing attribute rendered")
	}
}
