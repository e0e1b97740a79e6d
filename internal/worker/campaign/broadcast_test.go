package campaign

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
)

// broadcastMembers is n customers spread over zones in turn, every seventh
// (i%7 == 3) without webhook consent.
func broadcastMembers(n int, zones []string) []customer.Features {
	var feats []customer.Features
	for i := 0; i < n; i++ {
		consent := "true"
		if i%7 == 3 {
			consent = "false"
		}
		feats = append(feats, customer.Features{ID: fmt.Sprintf("cust-%04d", i), TimeZone: zones[i%len(zones)],
			Attributes: map[string]string{journey.ConsentWebhookAttribute: consent}})
	}
	return feats
}

// zoneOf is the time zone of customer id among feats.
func zoneOf(feats []customer.Features, id string) string {
	for _, f := range feats {
		if f.ID == id {
			return f.TimeZone
		}
	}
	return ""
}

// The broadcast must-show: members in four time zones (two of them inside
// quiet hours at the broadcast time), some without consent, 20% held out,
// a goal converting more of the messaged than of the holdout. The worker is
// stopped in the middle (three zones sent, Tokyo still deferred) and
// started again; then run once more after everything finished.
// Every consenting non-held-out member gets exactly one message, none inside
// their quiet hours, nothing is sent twice or to a member who joined after
// the broadcast, and the summary has the broadcast Sent with lift against
// the holdout.
func TestBroadcastReachesEveryConsentingMemberOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		at := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
		// At 14:00Z: Tokyo 23:00 and Los Angeles 06:00 are quiet
		// (21:00-08:00); Berlin 15:00 and UTC 14:00 are not.
		const n = 200
		feats := broadcastMembers(n, []string{"Asia/Tokyo", "America/Los_Angeles", "Europe/Berlin", ""})
		late := customer.Features{ID: "late-joiner", Attributes: map[string]string{journey.ConsentWebhookAttribute: "true"}}
		feats = append(feats, late)
		var lateJoined atomic.Bool
		cfg := journey.Config{Name: "shop/winter-sale", Namespace: "shop",
			Trigger:        journey.Trigger{Broadcast: &journey.BroadcastTrigger{At: at}},
			QuietHours:     &journey.QuietHours{Start: "21:00", End: "08:00"},
			HoldoutPercent: 20,
			Goal:           &journey.Goal{EventType: "purchase", Window: 7 * 24 * time.Hour},
			Steps: []journey.Step{
				{Name: "sale", Send: &journey.SendStep{ChannelRef: "hook", Template: journey.Template{Subject: "Winter sale", Body: "{{.id}}"}}},
				{Name: "await-goal", Wait: &journey.WaitStep{Duration: 48 * time.Hour}},
			}}
		// Purchases at 06:00Z on 2 December, after every zone's send:
		// half of the messaged members, a quarter of the holdout.
		src := &memSource{feats: feats}
		var wantT, wantH int64
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("cust-%04d", i)
			h := journey.InHoldout(cfg.Name, id, cfg.HoldoutPercent)
			if (!h && i%2 == 0) || (h && i%4 == 0) {
				src.events = append(src.events, customer.Event{CustomerID: id, Type: "purchase", OccurredAt: at.Add(16 * time.Hour)})
				if h {
					wantH++
				} else {
					wantT++
				}
			}
		}
		clock := &stepClock{now: at.Add(-time.Hour), step: 5 * time.Minute}
		recv := newStampReceiver(t, clock)
		var summaries lastSummary
		opts := func(clockFn func() time.Time, once bool) Options {
			return withHook(t, recv.srv.URL, Options{Playbook: cfg, DB: db, Source: src, Clock: clockFn,
				InSegment:    func(f *customer.Features) bool { return f.ID != late.ID || lateJoined.Load() },
				PollInterval: time.Millisecond, ExitWhenIdle: once, Publish: summaries.publish})
		}
		summary := summaries.get

		// Before At: nothing is enrolled or sent, the broadcast is Scheduled.
		if err := Run(context.Background(), opts(clock.Now, true)); err != nil {
			t.Fatal(err)
		}
		if s := summary(); s.Enrolled != 0 || recv.requests() != 0 || s.Broadcast == nil || s.Broadcast.State != journey.BroadcastScheduled {
			t.Fatalf("before at: enrolled %d, requests %d, broadcast %+v; want nothing and Scheduled", s.Enrolled, recv.requests(), s.Broadcast)
		}

		// From At to At+4h, then stopped: Berlin and UTC sent at once, Los
		// Angeles deferred to 08:00 PST (16:00Z) and sent, Tokyo still
		// deferred (08:00 JST is 23:00Z).
		ctx, cancel := context.WithCancel(context.Background())
		stopAt := at.Add(4 * time.Hour)
		err := Run(ctx, opts(func() time.Time {
			now := clock.Now()
			if now.After(stopAt) {
				cancel()
			}
			return now
		}, false))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		mid := summary()
		if mid.Enrolled != n || mid.Broadcast.State != journey.BroadcastSending || mid.Deferred == 0 {
			t.Fatalf("mid-way: enrolled %d (want %d), broadcast %+v, deferred %d", mid.Enrolled, n, mid.Broadcast, mid.Deferred)
		}
		sentMid := len(recv.messages())
		lateJoined.Store(true) // joins the segment after the broadcast started

		// Restart: the deferred zones are sent at 08:00 local, goals convert.
		if err := Run(context.Background(), opts(clock.Now, true)); err != nil {
			t.Fatal(err)
		}
		// Once more, after everything finished: nothing new.
		before := recv.requests()
		clock.advance(72 * time.Hour)
		if err := Run(context.Background(), opts(clock.Now, true)); err != nil {
			t.Fatal(err)
		}
		if got := recv.requests(); got != before {
			t.Errorf("a run after the broadcast finished sent %d more requests", got-before)
		}

		perCustomer := map[string]int{}
		keys := map[string]int{}
		quiet, _ := journey.ParseQuietHours(cfg.QuietHours)
		for _, m := range recv.messages() {
			perCustomer[m.customer]++
			keys[m.key]++
			loc := journey.ResolveZone(zoneOf(feats, m.customer), "")
			if l := m.at.In(loc); quiet.Quiet(journey.ClockTime(l.Hour()*60 + l.Minute())) {
				t.Errorf("%s (%s) was sent at %s local, inside quiet hours", m.customer, loc, l.Format("15:04"))
			}
		}
		var messaged int
		for i, f := range feats[:n] {
			want := 0
			if i%7 != 3 && !journey.InHoldout(cfg.Name, f.ID, cfg.HoldoutPercent) {
				want = 1
				messaged++
			}
			if perCustomer[f.ID] != want {
				t.Errorf("%s (%q): %d messages, want %d", f.ID, f.TimeZone, perCustomer[f.ID], want)
			}
		}
		if perCustomer[late.ID] != 0 {
			t.Errorf("a member who joined after the broadcast got %d messages", perCustomer[late.ID])
		}
		if recv.requests() != len(keys) || len(keys) != messaged {
			t.Errorf("requests %d, distinct keys %d, messaged members %d: want all equal", recv.requests(), len(keys), messaged)
		}
		if sentMid == 0 || sentMid == messaged {
			t.Errorf("stopped mid-way with %d of %d sent: the restart must fall between the zones", sentMid, messaged)
		}

		s := summary()
		b := s.Broadcast
		// The clock steps 5m on each of a loop's three readings (tick,
		// publish check, poll wait): the first tick at or after At is at
		// most 15m after it.
		if b == nil || b.State != journey.BroadcastSent || !b.At.Equal(at) || b.StartedAt.Before(at) || b.StartedAt.After(at.Add(15*time.Minute)) {
			t.Errorf("broadcast %+v: want Sent, at %s, started within 15m of it", b, at)
		}
		if s.Enrolled != n || s.Sent != int64(messaged) || s.Active != 0 {
			t.Errorf("enrolled %d sent %d active %d; want %d, %d, 0", s.Enrolled, s.Sent, s.Active, n, messaged)
		}
		var suppressed int64
		for _, v := range s.Suppressed {
			suppressed += v
		}
		if s.Messages != s.Sent+s.Failed+s.Pending+s.DryRunCount+suppressed {
			t.Errorf("messages %d != sent %d + failed %d + pending %d + dry-run %d + suppressed %d", s.Messages, s.Sent, s.Failed, s.Pending, s.DryRunCount, suppressed)
		}
		c := s.Conversions
		if c.Treatment != wantT || c.Holdout != wantH || c.HoldoutJourneys == 0 || s.Suppressed[string(journey.ReasonHoldout)] != c.HoldoutJourneys {
			t.Errorf("conversions %+v, holdout suppressions %d; want treatment %d, holdout %d", c, s.Suppressed[string(journey.ReasonHoldout)], wantT, wantH)
		}
		if !s.Lift.Valid || s.Lift.Difference <= 0 {
			t.Errorf("lift %+v: want valid and positive (half of the messaged converted, a quarter of the holdout)", s.Lift)
		}
		t.Logf("%d members, %d messaged (%d before the restart), %d deferred, holdout %d, lift %.1fpp [%.1f, %.1f]",
			n, messaged, sentMid, s.Deferred, c.HoldoutJourneys, 100*s.Lift.Difference, 100*s.Lift.Low, 100*s.Lift.High)
	})
}
