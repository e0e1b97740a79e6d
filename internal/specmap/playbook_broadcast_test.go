package specmap

import (
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

func broadcastSpec(b v1alpha1.BroadcastTrigger) *v1alpha1.PlaybookSpec {
	return &v1alpha1.PlaybookSpec{SegmentRef: v1alpha1.LocalObjectReference{Name: "all"},
		Trigger: v1alpha1.Trigger{Broadcast: &b},
		Steps: []v1alpha1.Step{{Name: "s", Send: &v1alpha1.SendStep{ChannelRef: v1alpha1.LocalObjectReference{Name: "mail"},
			Template: v1alpha1.MessageTemplate{Body: "hi"}}}}}
}

func TestPlaybookBroadcast(t *testing.T) {
	cfg, err := Playbook("shop", "sale", broadcastSpec(v1alpha1.BroadcastTrigger{At: "2026-12-01T09:00:00+01:00",
		LocalTime: "10:00", StartingDeadline: "48h"}))
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.Trigger.Broadcast
	if b == nil || !b.At.Equal(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)) || b.LocalTime != "10:00" || b.StartingDeadline != 48*time.Hour {
		t.Fatalf("broadcast %+v", b)
	}
	for at, want := range map[string]string{
		"2026-12-01T09:00:00": "spec.trigger.broadcast.at", // no offset: the instant would depend on the worker
		"1 December":          "spec.trigger.broadcast.at",
	} {
		if _, err := Playbook("shop", "sale", broadcastSpec(v1alpha1.BroadcastTrigger{At: at})); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("at %q: %v, want an error naming %s", at, err, want)
		}
	}
	if _, err := Playbook("shop", "sale", broadcastSpec(v1alpha1.BroadcastTrigger{At: "2026-12-01T09:00:00Z", StartingDeadline: "soon"})); err == nil ||
		!strings.HasPrefix(err.Error(), "spec.trigger.broadcast.startingDeadline") {
		t.Errorf("bad deadline: %v", err)
	}
}
