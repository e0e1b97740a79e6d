package journey

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

var broadcastAt = time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)

func broadcastConfig(b BroadcastTrigger) Config {
	return Config{Name: "shop/winter", Trigger: Trigger{Broadcast: &b},
		Steps: []Step{sendStep("sale", "hook", "{{.id}}")}}
}

func TestBroadcastWindow(t *testing.T) {
	b := &BroadcastTrigger{At: broadcastAt}
	cases := []struct {
		now  time.Time
		want BroadcastState
	}{
		{broadcastAt.Add(-time.Second), BroadcastScheduled},
		{broadcastAt, BroadcastSending},
		{broadcastAt.Add(DefaultBroadcastStartingDeadline), BroadcastSending},
		{broadcastAt.Add(DefaultBroadcastStartingDeadline + time.Second), BroadcastMissed},
	}
	for _, c := range cases {
		if got := BroadcastWindow(b, c.now); got != c.want {
			t.Errorf("at %s: %s, want %s", c.now, got, c.want)
		}
	}
	short := &BroadcastTrigger{At: broadcastAt, StartingDeadline: time.Hour}
	if got := BroadcastWindow(short, broadcastAt.Add(61*time.Minute)); got != BroadcastMissed {
		t.Errorf("1h deadline, 61m late: %s, want Missed", got)
	}
}

// With localTime each member is due at that wall-clock time in their own
// zone, the first one at or after enrolment; without it, at enrolment.
func TestBroadcastDueInEachZone(t *testing.T) {
	pb, err := Compile(broadcastConfig(BroadcastTrigger{At: broadcastAt, LocalTime: "10:00"}), testChannels)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		zone string
		want time.Time
	}{
		// 14:00Z is 23:00 in Tokyo: its 10:00 is the next morning.
		{"Asia/Tokyo", time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)},
		// 15:00 in Berlin: tomorrow 10:00 CET.
		{"Europe/Berlin", time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)},
		// 06:00 in Los Angeles: today 10:00 PST.
		{"America/Los_Angeles", time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)},
		// No zone: UTC, tomorrow.
		{"", time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		got := pb.BroadcastDue(&customer.Features{ID: "c", TimeZone: c.zone}, broadcastAt)
		if !got.Equal(c.want) {
			t.Errorf("%q: due %s, want %s", c.zone, got.UTC(), c.want)
		}
	}
	// Exactly at the local time counts (at or after, not strictly after).
	at10 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if got := pb.BroadcastDue(&customer.Features{ID: "c"}, at10); !got.Equal(at10) {
		t.Errorf("enrolled at 10:00 UTC: due %s, want the same instant", got)
	}
	plain, err := Compile(broadcastConfig(BroadcastTrigger{At: broadcastAt}), testChannels)
	if err != nil {
		t.Fatal(err)
	}
	if got := plain.BroadcastDue(&customer.Features{ID: "c", TimeZone: "Asia/Tokyo"}, broadcastAt); !got.Equal(broadcastAt) {
		t.Errorf("without localTime: due %s, want %s", got, broadcastAt)
	}
}

func TestBroadcastRejectsBadInputNamingIt(t *testing.T) {
	for _, c := range []struct {
		name        string
		cfg         Config
		field, want string
	}{
		{"no time", broadcastConfig(BroadcastTrigger{}), "trigger.broadcast.at", "RFC 3339"},
		{"bad local time", broadcastConfig(BroadcastTrigger{At: broadcastAt, LocalTime: "25:00"}), "trigger.broadcast.localTime", "HH:MM"},
		{"negative deadline", broadcastConfig(BroadcastTrigger{At: broadcastAt, StartingDeadline: -time.Hour}), "trigger.broadcast.startingDeadline", "negative"},
		{"with reentry", func() Config {
			c := broadcastConfig(BroadcastTrigger{At: broadcastAt})
			c.Reentry.After = time.Hour
			return c
		}(), "reentry", "once"},
		{"with a second trigger", func() Config {
			c := broadcastConfig(BroadcastTrigger{At: broadcastAt})
			c.Trigger.SegmentEntry = true
			return c
		}(), "trigger", "broadcast (2 set)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Compile(c.cfg, testChannels)
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("want a validation error, got %v", err)
			}
			for _, p := range verr.Problems {
				if p.Field == c.field && strings.Contains(p.Reason, c.want) {
					return
				}
			}
			t.Fatalf("no problem on %s containing %q: %v", c.field, c.want, err)
		})
	}
}
