package campaign

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/store"
)

// The summary counts active journeys per step: with the clock standing
// still, the 250 members of twoStepPlaybook (20% holdout included: a holdout
// journey walks the steps without sending) all wait at "pause"; the 50
// non-members have no journey.
func TestSummaryCountsActiveJourneysPerStep(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		recv := newReceiver(t, 0)
		src := &memSource{feats: customers(300)}
		now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		var mu sync.Mutex
		var last *Summary
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() {
			done <- Run(ctx, Options{Playbook: twoStepPlaybook("shop/steps", 20), DB: db, Source: src,
				Clock:        func() time.Time { return now },
				Channels:     hookChannels(webhookSender(t, recv.srv.URL)),
				ChannelKinds: hookKinds(),
				InSegment:    func(f *customer.Features) bool { return f.Monetary < 250 },
				PollInterval: 10 * time.Millisecond, Logger: quiet,
				Publish: func(_ context.Context, s *Summary) error {
					mu.Lock()
					last = s
					mu.Unlock()
					return nil
				}})
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
		mu.Lock()
		defer mu.Unlock()
		if want := map[string]int64{"pause": 250}; last == nil || !reflect.DeepEqual(last.Steps, want) {
			t.Fatalf("steps %v, want %v", last.Steps, want)
		}
		if last.Active != 250 {
			t.Errorf("active %d, want 250", last.Active)
		}
	})
}
