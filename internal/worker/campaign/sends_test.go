package campaign

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// overlapSource is a memSource whose event reads (the start of each tick)
// note whether sends of an earlier tick were still in flight.
type overlapSource struct {
	*memSource
	inFlight   *atomic.Int64
	overlapped atomic.Int64
}

func (s *overlapSource) ScanEvents(ctx context.Context, since time.Time, fn func(*customer.Event) error) error {
	if s.inFlight.Load() > 0 {
		s.overlapped.Add(1)
	}
	return s.memSource.ScanEvents(ctx, since, fn)
}

// Under a stream of events every round is woken and starts while the
// previous tick's sends are still on the wire (sends.go). Each message is
// still delivered once: no round resends a row that is in flight, a send
// that fails transiently goes out again with the same key on a later round
// and is then recorded once, and the ledger ends with every message sent.
func TestWokenTicksOverlapSendsEachOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		const n = 60
		const concurrency = 8
		feats := consenting(n)
		src := &memSource{feats: feats}
		var inFlight, peak atomic.Int64
		var mu sync.Mutex
		attempts, accepted := map[string]int{}, map[string]int{}
		flaky := map[string]bool{}
		for _, i := range []int{3, 17, 42} {
			flaky[journey.IdempotencyKey("shop/pipe", feats[i].ID, 1, "hello")] = true
		}
		sender := senderFunc(func(ctx context.Context, msg channel.Message) error {
			cur := inFlight.Add(1)
			defer inFlight.Add(-1)
			for p := peak.Load(); cur > p && !peak.CompareAndSwap(p, cur); p = peak.Load() {
			}
			time.Sleep(60 * time.Millisecond) // long enough for the next woken round to start meanwhile
			mu.Lock()
			defer mu.Unlock()
			attempts[msg.IdempotencyKey]++
			if flaky[msg.IdempotencyKey] && attempts[msg.IdempotencyKey] == 1 {
				return errors.New("connection reset") // transient: resent with the same key
			}
			accepted[msg.IdempotencyKey]++
			return nil
		})
		ovl := &overlapSource{memSource: src, inFlight: &inFlight}
		cfg := journey.Config{Name: "shop/pipe", Namespace: "shop", Trigger: journey.Trigger{Event: &journey.EventTrigger{Type: "cart_updated"}},
			Steps: []journey.Step{{Name: "hello", Send: &journey.SendStep{ChannelRef: "hook", Template: journey.Template{Body: "hi {{.id}}"}}}}}
		wake := make(chan struct{}, 1)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		runErr := make(chan error, 1)
		go func() {
			runErr <- Run(ctx, Options{Playbook: cfg, DB: db, Source: ovl, Channels: hookChannels(sender),
				ChannelKinds: hookKinds(), Wake: wake,
				PollInterval: time.Hour, Concurrency: concurrency, Logger: quiet})
		}()
		// One event every few milliseconds, each waking the worker, as
		// the ingestion API's notifications do. The first is sent before
		// the stream starts, so the stream meets woken rounds, not the
		// first round on the poll interval.
		for i := 0; i < n; i++ {
			src.mu.Lock()
			src.events = append(src.events, customer.Event{CustomerID: feats[i].ID, Type: "cart_updated",
				OccurredAt: time.Now().Add(-time.Millisecond)})
			src.mu.Unlock()
			select {
			case wake <- struct{}{}:
			default:
			}
			for first := time.Now(); i == 0 && time.Since(first) < 30*time.Second; time.Sleep(5 * time.Millisecond) {
				mu.Lock()
				got := len(accepted)
				mu.Unlock()
				if got == 1 {
					break
				}
			}
			time.Sleep(8 * time.Millisecond)
		}
		// The transiently failed rows are resent once a round finds them
		// due; keep waking until the ledger has every message sent.
		deadline := time.Now().Add(60 * time.Second)
		for {
			counts, err := db.DeliveryCounts(context.Background(), "shop/pipe")
			if err != nil {
				t.Fatal(err)
			}
			if counts["message/"+store.DeliverySent] == n || time.Now().After(deadline) {
				break
			}
			select {
			case wake <- struct{}{}:
			default:
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if err := <-runErr; err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(accepted) != n {
			t.Fatalf("%d of %d messages accepted", len(accepted), n)
		}
		for key, c := range accepted {
			want := 1
			if flaky[key] {
				want = 2
			}
			if c != 1 || attempts[key] != want {
				t.Errorf("key %s accepted %d times after %d attempts; want once after %d", key, c, attempts[key], want)
			}
		}
		if p := peak.Load(); p > concurrency {
			t.Errorf("%d sends in flight at once, want at most Concurrency %d", p, concurrency)
		}
		if ovl.overlapped.Load() == 0 {
			t.Error("no tick started while sends were in flight: the sends were not pipelined")
		}
		counts, err := db.DeliveryCounts(context.Background(), "shop/pipe")
		if err != nil {
			t.Fatal(err)
		}
		if counts["message/"+store.DeliverySent] != n || counts["message/"+store.DeliveryPending] != 0 {
			t.Errorf("ledger %v, want %d sent and none pending", counts, n)
		}
	})
}

// genTriggers covers every trigger kind.
var genTriggers = []journey.Trigger{
	{SegmentEntry: true},
	{Schedule: "0 * * * *"},
	{Event: &journey.EventTrigger{Type: "visit"}},
	{Inactivity: &journey.InactivityTrigger{Duration: 30 * 24 * time.Hour}},
	{Anniversary: &journey.AnniversaryTrigger{Of: journey.AnniversarySignup}},
	{TierChange: &journey.TierChangeTrigger{To: "gold"}},
}

// genSteps draws 1-6 steps of every kind.
func genSteps(r *rand.Rand) []journey.Step {
	n := 1 + r.IntN(6)
	steps := make([]journey.Step, n)
	chans := []string{"mail", "text", "hook"}
	conds := []string{"customer.monetary > 20.0", "journey.sends >= 1", "customer.consentSMS", "journey.daysInJourney > 1.0"}
	for i := range steps {
		name := fmt.Sprintf("s%d", i)
		switch r.IntN(6) {
		case 0, 1:
			steps[i] = journey.Step{Name: name, Send: &journey.SendStep{ChannelRef: chans[r.IntN(3)], Template: journey.Template{Subject: "x", Body: "{{.id}}"}}}
		case 2:
			steps[i] = journey.Step{Name: name, Wait: &journey.WaitStep{Duration: time.Duration(1+r.IntN(48)) * time.Hour}}
		case 3:
			steps[i] = journey.Step{Name: name, Wait: &journey.WaitStep{LocalTime: fmt.Sprintf("%02d:30", r.IntN(24))}}
		case 4:
			// Forward jumps only, so generated journeys end.
			steps[i] = journey.Step{Name: name, Branch: &journey.BranchStep{If: conds[r.IntN(len(conds))]}}
			if i+1 < n {
				steps[i].Branch.Then = fmt.Sprintf("s%d", i+1+r.IntN(n-i-1))
			}
		case 5:
			if r.IntN(2) == 0 {
				steps[i] = journey.Step{Name: name, AwardPoints: &journey.AwardPointsStep{ProgramRef: "club", Points: 5}}
			} else {
				steps[i] = journey.Step{Name: name, Exit: &journey.ExitStep{If: conds[r.IntN(len(conds))] + " && customer.monetary > 45.0"}}
			}
		}
	}
	return steps
}

func rawConsent(kind journey.ChannelKind, f *customer.Features) bool {
	switch kind {
	case journey.KindEmail:
		return f.ConsentEmail
	case journey.KindSMS:
		return f.ConsentSMS
	case journey.KindWebhook:
		return f.Attributes["consentWebhook"] == "true"
	}
	return false
}

// Property over generated playbooks (every trigger kind x 5 seeds, random
// steps, holdout, quiet hours and caps) run by the real worker: no customer
// is ever sent a message on a channel they have not consented to at send
// time, and no holdout customer gets a message or points.
func TestPropertyWorkerNeverSendsWithoutConsent(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 2026))
	start := time.Date(2026, 3, 7, 18, 0, 0, 0, time.UTC) // spans the New York DST change
	var totalSent, totalRefused int64
	enrolledBy := map[int]int64{}
	sentBy := map[int]int64{}
	for ti, trig := range genTriggers {
		for seed := 0; seed < 5; seed++ {
			cfg := journey.Config{Name: fmt.Sprintf("gen/%d-%d", ti, seed), Namespace: "gen", Trigger: trig, Steps: genSteps(r),
				HoldoutPercent: float64(r.IntN(4) * 10)}
			if r.IntN(2) == 0 {
				cfg.QuietHours = &journey.QuietHours{Start: "21:00", End: "08:00", DefaultTimeZone: "America/New_York"}
			}
			if r.IntN(2) == 0 {
				cfg.FrequencyCap = &journey.FrequencyCap{Max: 1 + r.IntN(2), Per: 24 * time.Hour}
			}
			src := &memSource{}
			for i := 0; i < 60; i++ {
				f := customer.Features{ID: fmt.Sprintf("g%02d", i), Email: fmt.Sprintf("g%d@x", i),
					TimeZone: []string{"America/New_York", "Europe/Berlin", ""}[r.IntN(3)], Monetary: float64(r.IntN(50)),
					ConsentEmail: r.IntN(2) == 0, ConsentSMS: r.IntN(2) == 0, LoyaltyTier: "silver",
					LastOrderAt: start.Add(-time.Duration(r.IntN(90*24)) * time.Hour),
					CreatedAt:   start.AddDate(-1-r.IntN(3), 0, r.IntN(2)), // half have their anniversary today
					Attributes:  map[string]string{"consentWebhook": []string{"true", "false", ""}[r.IntN(3)], "phone": "+1555"}}
				src.feats = append(src.feats, f)
				if r.IntN(2) == 0 {
					src.events = append(src.events, customer.Event{CustomerID: f.ID, Type: "visit", OccurredAt: start.Add(time.Duration(r.IntN(120)) * time.Minute)})
				}
			}
			current := func(id string) customer.Features {
				src.mu.Lock()
				defer src.mu.Unlock()
				for _, f := range src.feats {
					if f.ID == id {
						return f
					}
				}
				t.Fatalf("unknown customer %s", id)
				return customer.Features{}
			}
			var mu sync.Mutex
			var violations []string
			check := func(kind journey.ChannelKind) channel.Sender {
				return senderFunc(func(_ context.Context, m channel.Message) error {
					f := current(m.Metadata.CustomerID)
					mu.Lock()
					defer mu.Unlock()
					if !rawConsent(kind, &f) {
						violations = append(violations, fmt.Sprintf("%s: %s sent without consent", cfg.Name, kind))
					}
					if journey.InHoldout(cfg.Name, f.ID, cfg.HoldoutPercent) {
						violations = append(violations, fmt.Sprintf("%s: holdout customer messaged", cfg.Name))
					}
					return nil
				})
			}
			recv := newReceiver(t, 0)
			web := webhookSender(t, recv.srv.URL)
			hook := senderFunc(func(ctx context.Context, m channel.Message) error {
				if err := check(journey.KindWebhook).Send(ctx, m); err != nil {
					return err
				}
				return web.Send(ctx, m) // and through the real webhook sender
			})
			db := testdb.Open(t, testdb.SQLite(t), store.Open)
			clock := &stepClock{now: start, step: time.Hour}
			opts := Options{Playbook: cfg, DB: db, Source: src, Clock: clock.Now, Logger: quiet,
				Channels:     map[string]channel.Sender{"mail": check(journey.KindEmail), "text": check(journey.KindSMS), "hook": hook},
				ChannelKinds: map[string]journey.ChannelKind{"mail": journey.KindEmail, "text": journey.KindSMS, "hook": journey.KindWebhook},
				InSegment:    func(f *customer.Features) bool { return f.Monetary < 40 },
				Award: func(_ context.Context, _, id string, _ int64, _, _ string) error {
					if journey.InHoldout(cfg.Name, id, cfg.HoldoutPercent) {
						mu.Lock()
						violations = append(violations, cfg.Name+": holdout customer awarded points")
						mu.Unlock()
					}
					return nil
				}}
			var last *Summary
			for run := 0; run < 3; run++ {
				last = runIdle(t, opts)
				// Between runs: tiers move up and consent changes for some.
				src.mu.Lock()
				for i := range src.feats {
					if r.IntN(2) == 0 {
						src.feats[i].LoyaltyTier = "gold"
					}
					if r.IntN(4) == 0 {
						src.feats[i].ConsentEmail = !src.feats[i].ConsentEmail
					}
				}
				src.mu.Unlock()
			}
			for _, v := range violations {
				t.Error(v)
			}
			totalSent += last.Sent
			enrolledBy[ti] += last.Enrolled
			sentBy[ti] += last.Sent
			totalRefused += last.Suppressed["consent"]
		}
	}
	if totalSent == 0 || totalRefused == 0 {
		t.Fatalf("generator too narrow: %d sent, %d consent refusals", totalSent, totalRefused)
	}
	for ti := range genTriggers {
		if enrolledBy[ti] == 0 || sentBy[ti] == 0 {
			t.Errorf("trigger %d never enrolled/sent (%d/%d): the property was not exercised for it", ti, enrolledBy[ti], sentBy[ti])
		}
	}
	t.Logf("enrolled by trigger %v, sent by trigger %v", enrolledBy, sentBy)
	t.Logf("30 generated playbooks: %d sent, %d refused for consent", totalSent, totalRefused)
}
