package journey

import (
	"strings"
	"testing"
)

func TestBranchCyclesWithoutAWaitAreRefused(t *testing.T) {
	send := func(name string) Step {
		return Step{Name: name, Send: &SendStep{ChannelRef: "email", Template: Template{Body: "hi"}}}
	}
	branch := func(name, then, els string) Step {
		return Step{Name: name, Branch: &BranchStep{If: "customer.frequency > 1", Then: then, Else: els}}
	}
	wait := Step{Name: "wait", Wait: &WaitStep{Duration: 24 * 3600e9}}
	cases := []struct {
		name  string
		steps []Step
		want  string // "" means accepted
	}{
		{"self-loop", []Step{send("a"), branch("loop", "loop", "")}, `step "loop" leads back to step "loop"`},
		{"ping-pong", []Step{branch("ping", "pong", ""), branch("pong", "ping", "")}, "leads back to step"},
		{"send loop", []Step{send("a"), branch("again", "a", "")}, `leads back to step "a"`},
		{"reminder series through a wait", []Step{send("a"), wait, branch("again", "a", "")}, ""},
		{"forward branch", []Step{branch("b", "c", ""), send("x"), send("c")}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Name: "p", Trigger: Trigger{SegmentEntry: true}, Steps: tc.steps}
			_, err := Compile(cfg, map[string]ChannelKind{"email": KindEmail})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "wait step")):
				t.Fatalf("got %v, want an error containing %q and naming the fix", err, tc.want)
			}
		})
	}
}
