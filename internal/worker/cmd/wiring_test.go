package cmd

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/journey"
	engine "github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/worker/campaign"
	"github.com/retention-dev/retention-operator/internal/worker/loyalty"
	"github.com/retention-dev/retention-operator/internal/workload"
)

func TestStateStoreURL(t *testing.T) {
	root := t.TempDir()
	tests := []struct {
		name, env, root, want string
	}{
		{name: "default in a pod", want: "sqlite:/var/lib/retention/state/state.db"},
		{name: "default in a local run", root: root, want: "sqlite:" + filepath.Join(root, "/var/lib/retention/state/state.db")},
		{name: "sqlite with options in a local run", env: "sqlite:/var/lib/retention/state/s.db?mode=rwc", root: root,
			want: "sqlite:" + filepath.Join(root, "/var/lib/retention/state/s.db") + "?mode=rwc"},
		{name: "postgres passes unchanged", env: "postgres://u@db:5432/state", root: root, want: "postgres://u@db:5432/state"},
		{name: "memory stays memory", env: "sqlite::memory:", root: root, want: "sqlite::memory:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(contract.EnvStateStore, tt.env)
			g := &globals{paths: workload.Paths{Root: tt.root}}
			got, err := g.stateStoreURL()
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseShard(t *testing.T) {
	tests := []struct {
		in            string
		shard, shards int
		ok            bool
	}{
		{"0/1", 0, 1, true}, {"2/3", 2, 3, true},
		{"3/3", 0, 0, false}, {"-1/2", 0, 0, false}, {"1", 0, 0, false}, {"0/0", 0, 0, false}, {"a/b", 0, 0, false},
	}
	for _, tt := range tests {
		shard, shards, err := parseShard(tt.in)
		if (err == nil) != tt.ok || shard != tt.shard || shards != tt.shards {
			t.Errorf("parseShard(%q) = %d, %d, %v", tt.in, shard, shards, err)
		}
		if err != nil && !strings.Contains(err.Error(), "--shard") {
			t.Errorf("error %q does not name the flag", err)
		}
	}
}

func TestLoyaltyReport(t *testing.T) {
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	twoThirds := 2.0 / 3 // a variable, so the percent is the float64 product the worker computes
	tests := []struct {
		name string
		in   loyalty.Summary
		want report.Loyalty
	}{
		{name: "with repeat rates",
			in: loyalty.Summary{AsOf: at, Members: 7, MembersPerTier: map[string]int64{"gold": 2, "none": 5},
				PointsOutstanding: 12345, Liability: 123.45, RedemptionRate: 0.125,
				Repeat: &engine.RepeatRates{MemberBuyers: 3, MemberRepeaters: 2, MemberRate: twoThirds,
					NonMemberBuyers: 8, NonMemberRepeaters: 1, NonMemberRate: 0.125}},
			want: report.Loyalty{ReportTime: at, Members: 7, MembersPerTier: map[string]int64{"gold": 2, "none": 5},
				PointsOutstanding: 12345, Liability: 123.45, RedemptionRate: 12.5,
				RepeatRateMembers: figure(100 * twoThirds), RepeatRateNonMembers: figure(12.5)}},
		{name: "no buyers on one side, nothing earned",
			in:   loyalty.Summary{AsOf: at, Repeat: &engine.RepeatRates{MemberBuyers: 1, MemberRate: 0}},
			want: report.Loyalty{ReportTime: at, RepeatRateMembers: figure(0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := loyaltyReport(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestPlaybookReport(t *testing.T) {
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	// 40/100 treatment vs 10/50 holdout converted: lift 20pp,
	// se = sqrt(.4*.6/100 + .2*.8/50) = sqrt(.0056) = 0.074833, 1.95996*se = 14.667pp.
	s := &campaign.Summary{At: at, Enrolled: 160, Active: 20, Completed: 120, Exited: 10, Holdout: 50,
		Messages: 307, Sent: 300, Failed: 2, Pending: 1, Suppressed: map[string]int64{"consent": 4}, Deferred: 6, ConditionErrors: 1,
		Conversions: campaign.Conversions{Treatment: 40, TreatmentJourneys: 100, Holdout: 10, HoldoutJourneys: 50}}
	s.Lift = journey.ComputeLift(40, 100, 10, 50)
	got := playbookReport(s)
	if got.Lift == nil || got.LiftLow == nil || got.LiftHigh == nil {
		t.Fatalf("lift not set: %+v", got)
	}
	if d := *got.Lift - 20; d > 1e-9 || d < -1e-9 {
		t.Errorf("lift %v, want 20pp", *got.Lift)
	}
	if d := *got.LiftLow - (20 - 14.6670); d > 1e-3 || d < -1e-3 {
		t.Errorf("lift low %v, want 5.333", *got.LiftLow)
	}
	if d := *got.LiftHigh - (20 + 14.6670); d > 1e-3 || d < -1e-3 {
		t.Errorf("lift high %v, want 34.667", *got.LiftHigh)
	}
	got.Lift, got.LiftLow, got.LiftHigh = nil, nil, nil
	want := report.Playbook{ReportTime: at, Enrolled: 160, Active: 20, Completed: 120, Exited: 10,
		Messages: 307, Sent: 300, Failed: 2, Pending: 1, Suppressed: map[string]int64{"consent": 4}, Deferred: 6, ConditionErrors: 1,
		Treatment: report.Arm{Enrolled: 100, Converted: 40}, Holdout: report.Arm{Enrolled: 50, Converted: 10}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	// Without a holdout there is no lift.
	if r := playbookReport(&campaign.Summary{At: at}); r.Lift != nil || r.Suppressed != nil {
		t.Errorf("empty summary: %+v", r)
	}
}

func figure(v float64) *report.Figure {
	f := report.Figure(v)
	return &f
}
