package campaign

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
)

// figuresByHand counts what twoStepPlaybook cfg does to feats, from the
// fixture rather than the worker: every customer reaches "hello"; those with
// monetary >= 100 also reach "offer". Holdout first, then consent.
func figuresByHand(cfg journey.Config, feats []customer.Features) (sent, holdout, consent, holdoutJourneys int64) {
	for _, f := range feats {
		steps := int64(1)
		if f.Monetary >= 100 {
			steps = 2
		}
		switch {
		case journey.InHoldout(cfg.Name, f.ID, cfg.HoldoutPercent):
			holdout += steps
			holdoutJourneys++
		case f.Attributes[journey.ConsentWebhookAttribute] != "true":
			consent += steps
		default:
			sent += steps
		}
	}
	return sent, holdout, consent, holdoutJourneys
}

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
		s := runIdle(t, withHook(t, recv.srv.URL, Options{Playbook: cfg, DB: db, Source: &memSource{feats: feats},
			Clock: (&stepClock{now: time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC), step: time.Hour}).Now}))
		if s == nil {
			t.Fatal("the worker published no summary")
		}

		wantSent, wantHoldout, wantConsent, holdoutJourneys := figuresByHand(cfg, feats)
		if s.Sent != wantSent || s.Suppressed["holdout"] != wantHoldout || s.Suppressed["consent"] != wantConsent {
			t.Fatalf("sent %d suppressed %v; by hand sent %d, holdout %d, consent %d", s.Sent, s.Suppressed, wantSent, wantHoldout, wantConsent)
		}
		if got := int64(recv.requests()); got != s.Sent {
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

// The summary counts active journeys per step: with the clock standing
// still, the 250 members of twoStepPlaybook (20% holdout included: a holdout
// journey walks the steps without sending) all wait at "pause"; the 50
// non-members have no journey.
func TestSummaryCountsActiveJourneysPerStep(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		recv := newReceiver(t, 0)
		src := &memSource{feats: customers(300)}
		now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		var summaries lastSummary
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() {
			done <- Run(ctx, withHook(t, recv.srv.URL, Options{Playbook: twoStepPlaybook("shop/steps", 20), DB: db, Source: src,
				Clock:        func() time.Time { return now },
				InSegment:    func(f *customer.Features) bool { return f.Monetary < 250 },
				PollInterval: 10 * time.Millisecond, Publish: summaries.publish}))
		}()
		waitFor(t, 10*time.Second, "250 enrolments", func() bool {
			tallies, err := db.JourneyTallies(context.Background(), "shop/steps")
			var n int64
			for _, tl := range tallies {
				n += tl.Journeys
			}
			return err == nil && n == 250
		})
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		last := summaries.get()
		if want := map[string]int64{"pause": 250}; last == nil || !maps.Equal(last.Steps, want) {
			t.Fatalf("steps %v, want %v", last.Steps, want)
		}
		if last.Active != 250 {
			t.Errorf("active %d, want 250", last.Active)
		}
	})
}
