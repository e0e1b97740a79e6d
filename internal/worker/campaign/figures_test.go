package campaign

import (
	"context"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
)

// The summary's message figures add up, and each counts what the status
// documents: messages = sent + failed + pending + dry-run + sum(suppressed);
// suppressed counts messages (a holdout journey through two send steps
// withholds two), never customers. The expected figures are counted from the
// fixture by hand, not from the worker.
func TestMessageFiguresAddUp(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		recv := newReceiver(t, 0)
		feats := customers(600)
		cfg := twoStepPlaybook("shop/figures", 20)
		opts := Options{Playbook: cfg, DB: db, Source: &memSource{feats: feats},
			Clock:    (&stepClock{now: time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC), step: time.Hour}).Now,
			Channels: hookChannels(webhookSender(t, recv.srv.URL)), ChannelKinds: hookKinds(),
			PollInterval: time.Millisecond, Logger: quiet, ExitWhenIdle: true}
		var s *Summary
		opts.Publish = func(_ context.Context, v *Summary) error { s = v; return nil }
		if err := Run(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
		if s == nil {
			t.Fatal("the worker published no summary")
		}

		// By hand: every customer reaches "hello"; those with
		// monetary >= 100 also reach "offer". Holdout first, then consent.
		var wantSent, wantHoldout, wantConsent, holdoutJourneys int64
		for _, f := range feats {
			steps := int64(1)
			if f.Monetary >= 100 {
				steps = 2
			}
			switch {
			case journey.InHoldout(cfg.Name, f.ID, cfg.HoldoutPercent):
				wantHoldout += steps
				holdoutJourneys++
			case f.Attributes[journey.ConsentWebhookAttribute] != "true":
				wantConsent += steps
			default:
				wantSent += steps
			}
		}
		if s.Sent != wantSent || s.Suppressed["holdout"] != wantHoldout || s.Suppressed["consent"] != wantConsent {
			t.Fatalf("sent %d suppressed %v; by hand sent %d, holdout %d, consent %d", s.Sent, s.Suppressed, wantSent, wantHoldout, wantConsent)
		}
		if got := int64(recv.requests); got != s.Sent {
			t.Fatalf("receiver got %d requests, summary says sent %d", got, s.Sent)
		}
		var suppressed int64
		for _, n := range s.Suppressed {
			suppressed += n
		}
		if s.Messages != s.Sent+s.Failed+s.Pending+s.DryRunCount+suppressed || s.Messages != wantSent+wantHoldout+wantConsent {
			t.Fatalf("messages %d != sent %d + failed %d + pending %d + dry-run %d + suppressed %d (by hand %d)",
				s.Messages, s.Sent, s.Failed, s.Pending, s.DryRunCount, suppressed, wantSent+wantHoldout+wantConsent)
		}
		if s.Conversions.HoldoutJourneys != holdoutJourneys || s.Enrolled != int64(len(feats)) {
			t.Fatalf("holdout journeys %d (by hand %d), enrolled %d of %d", s.Conversions.HoldoutJourneys, holdoutJourneys, s.Enrolled, len(feats))
		}
		if s.Suppressed["holdout"] <= s.Conversions.HoldoutJourneys {
			t.Fatalf("fixture should show two send steps per big holdout journey: holdout %d, journeys %d", s.Suppressed["holdout"], holdoutJourneys)
		}
		t.Logf("enrolled %d (holdout %d journeys): messages %d = sent %d + suppressed %v", s.Enrolled, holdoutJourneys, s.Messages, s.Sent, s.Suppressed)
	})
}
