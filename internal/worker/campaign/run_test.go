package campaign

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// customers builds n customers; every third lacks webhook consent, ids
// cust-0000... Monetary = i so branches can split them.
func customers(n int) []customer.Features {
	out := make([]customer.Features, n)
	for i := range out {
		consent := "true"
		if i%3 == 2 {
			consent = "false"
		}
		out[i] = customer.Features{ID: fmt.Sprintf("cust-%04d", i), Email: fmt.Sprintf("c%d@example.com", i),
			TimeZone: "Europe/Berlin", Monetary: float64(i), ConsentEmail: true,
			Attributes: map[string]string{journey.ConsentWebhookAttribute: consent}}
	}
	return out
}

// webhookConsenting is the ids of the customers among customers(n) that
// have webhook consent.
func webhookConsenting(n int) []string {
	var ids []string
	for i := 0; i < n; i++ {
		if i%3 != 2 {
			ids = append(ids, fmt.Sprintf("cust-%04d", i))
		}
	}
	return ids
}

func twoStepPlaybook(name string, holdout float64) journey.Config {
	return journey.Config{Name: name, Namespace: "shop", Trigger: journey.Trigger{SegmentEntry: true},
		HoldoutPercent: holdout, Goal: &journey.Goal{EventType: "order", Window: 7 * 24 * time.Hour},
		Steps: []journey.Step{
			{Name: "hello", Send: &journey.SendStep{ChannelRef: "hook", Template: journey.Template{Subject: "Hi", Body: "Hello {{.email}}"}}},
			{Name: "pause", Wait: &journey.WaitStep{Duration: 24 * time.Hour}},
			{Name: "big?", Branch: &journey.BranchStep{If: "customer.monetary >= 100.0", Else: "end"}},
			{Name: "offer", Send: &journey.SendStep{ChannelRef: "hook", Template: journey.Template{Subject: "Offer", Body: "10% off"}}},
			{Name: "end", Exit: &journey.ExitStep{}},
		}}
}

// End to end: enrolment from the segment, a wait, a branch, consent at send
// time, holdout, goal conversions and the summary, in SQLite and PostgreSQL.
func TestRunEndToEnd(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		recv := newReceiver(t, 0)
		src := &memSource{feats: customers(300)}
		start := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		// Orders from cust-0000..0059 one hour after start convert them.
		for i := 0; i < 60; i++ {
			src.events = append(src.events, customer.Event{CustomerID: fmt.Sprintf("cust-%04d", i), Type: "order", OccurredAt: start.Add(time.Hour)})
		}
		clock := &stepClock{now: start, step: time.Hour}
		cfg := twoStepPlaybook("shop/welcome", 20)
		s := runIdle(t, withHook(t, recv.srv.URL, Options{Playbook: cfg, DB: db, Source: src, Clock: clock.Now,
			InSegment: func(f *customer.Features) bool { return f.Monetary < 250 }, // 250 members
			BatchSize: 40}))
		// Expected sends, worked out from the fixture: members 0..249,
		// minus holdout, minus no-consent (i%3==2); "offer" only for i >= 100
		// who have not converted (0..59 convert and exit before the wait ends).
		want := map[string]bool{}
		var holdout, treated int64
		for i := 0; i < 250; i++ {
			id := fmt.Sprintf("cust-%04d", i)
			if journey.InHoldout(cfg.Name, id, 20) {
				holdout++
				continue
			}
			treated++
			if i%3 == 2 {
				continue
			}
			want[journey.IdempotencyKey(cfg.Name, id, 1, "hello")] = true
			if i >= 100 {
				want[journey.IdempotencyKey(cfg.Name, id, 1, "offer")] = true
			}
		}
		onceEach(t, "key", recv.keys(), want)
		if s.Sent != int64(len(want)) || s.Enrolled != 250 || s.Active != 0 || s.Pending != 0 || s.Holdout != holdout {
			t.Errorf("summary %+v; want sent %d enrolled 250 holdout %d", s, len(want), holdout)
		}
		// Conversions: 0..59 all ordered; split by group.
		var convT, convH int64
		for i := 0; i < 60; i++ {
			if journey.InHoldout(cfg.Name, fmt.Sprintf("cust-%04d", i), 20) {
				convH++
			} else {
				convT++
			}
		}
		if c := s.Conversions; c.Treatment != convT || c.Holdout != convH || c.TreatmentJourneys != treated || c.HoldoutJourneys != holdout {
			t.Errorf("conversions %+v; want %d/%d treatment, %d/%d holdout", c, convT, treated, convH, holdout)
		}
		if l := journey.ComputeLift(convT, treated, convH, holdout); s.Lift != l {
			t.Errorf("lift %+v, want %+v", s.Lift, l)
		}
		if s.Suppressed["consent"] == 0 || s.Suppressed["holdout"] == 0 {
			t.Errorf("suppressed %v", s.Suppressed)
		}
		t.Logf("sent %d, suppressed %v, lift %+v", s.Sent, s.Suppressed, s.Lift)
	})
}

// Bad input is refused with an error naming it, and nothing is sent.
func TestRunRejectsBadInputSendingNothing(t *testing.T) {
	recv := newReceiver(t, 0)
	cases := []struct {
		name string
		edit func(*journey.Config)
		want string
	}{
		{"unknown channel", func(c *journey.Config) { c.Steps[3].Send.ChannelRef = "fax" }, `steps[3].send.channelRef: step "offer": unknown channel "fax"`},
		{"unknown template field", func(c *journey.Config) { c.Steps[0].Send.Template.Body = "Hello {{.firstName}}" },
			`template "hello" body: unknown field "firstName"`},
		{"invalid CEL branch", func(c *journey.Config) { c.Steps[2].Branch.If = "customer.monetary >>= 1" }, `steps[2].branch.if: step "big?": invalid CEL`},
		{"invalid cron", func(c *journey.Config) { c.Trigger = journey.Trigger{Schedule: "every day"} }, `trigger.schedule: invalid cron "every day"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := twoStepPlaybook("shop/bad", 0)
			c.edit(&cfg)
			err := Run(context.Background(), withHook(t, recv.srv.URL, Options{Playbook: cfg, StoreURL: "sqlite:" + t.TempDir() + "/s.db",
				Source: &memSource{feats: customers(10)}, PollInterval: time.Millisecond, ExitWhenIdle: true}))
			var verr *journey.ValidationError
			if !errors.As(err, &verr) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want validation error containing %q", err, c.want)
			}
		})
	}
	if n := len(recv.keys()); n != 0 {
		t.Fatalf("%d messages sent for invalid playbooks", n)
	}
}

// Two playbooks of one namespace, each sending two messages to the same
// customers, run at the same time against one store with a cap of 1 per
// day: no customer gets more than one message, and every refused send is
// counted as frequencyCap.
func TestFrequencyCapAcrossTwoPlaybooks(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		recv := newReceiver(t, 0)
		src := &memSource{feats: customers(150)}
		start := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		mk := func(pb string) journey.Config {
			return journey.Config{Name: pb, Namespace: "shop", Trigger: journey.Trigger{SegmentEntry: true},
				FrequencyCap: &journey.FrequencyCap{Max: 1, Per: 24 * time.Hour},
				Steps: []journey.Step{
					{Name: "a", Send: &journey.SendStep{ChannelRef: "hook", Template: journey.Template{Body: "a"}}},
					{Name: "b", Send: &journey.SendStep{ChannelRef: "hook", Template: journey.Template{Body: "b"}}},
				}}
		}
		// Migrate first: concurrent first-time migrations race in
		// store.Migrate's CREATE TABLE schema_migrations (reported to the lead).
		if err := db.MigrateJourney(context.Background()); err != nil {
			t.Fatal(err)
		}
		summaries := make([]*Summary, 2)
		errs := make(chan error, 2)
		for i, pb := range []string{"shop/one", "shop/two"} {
			go func() {
				clock := &stepClock{now: start, step: time.Second}
				errs <- Run(context.Background(), withHook(t, recv.srv.URL, Options{Playbook: mk(pb), DB: db, Source: src, Clock: clock.Now,
					PollInterval: time.Millisecond, ExitWhenIdle: true, BatchSize: 16,
					Publish: func(_ context.Context, s *Summary) error { summaries[i] = s; return nil }}))
			}()
		}
		for range summaries {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		perCustomer := recv.customers()
		consenting := 0
		for i := 0; i < 150; i++ {
			id := fmt.Sprintf("cust-%04d", i)
			if i%3 != 2 {
				consenting++
				if perCustomer[id] != 1 {
					t.Errorf("%s received %d messages, want exactly 1 (cap 1/day)", id, perCustomer[id])
				}
			} else if perCustomer[id] != 0 {
				t.Errorf("%s has no consent but received %d", id, perCustomer[id])
			}
		}
		sent := summaries[0].Sent + summaries[1].Sent
		capped := summaries[0].Suppressed["frequencyCap"] + summaries[1].Suppressed["frequencyCap"]
		if sent != int64(consenting) || capped != int64(3*consenting) {
			t.Errorf("sent %d (want %d), frequencyCap suppressions %d (want %d)", sent, consenting, capped, 3*consenting)
		}
		t.Logf("playbook one sent %d, two sent %d; capped %d", summaries[0].Sent, summaries[1].Sent, capped)
	})
}

// The holdout stored with each journey equals the hash assignment, survives a
// restart unchanged, and no holdout customer is ever messaged.
func TestHoldoutStableAcrossRestartAndNeverMessaged(t *testing.T) {
	db := testdb.Open(t, testdb.SQLite(t), store.Open)
	recv := newReceiver(t, 0)
	feats := consenting(1000)
	src := &memSource{feats: feats}
	cfg := twoStepPlaybook("shop/holdout", 30)
	opts := withHook(t, recv.srv.URL, Options{Playbook: cfg, DB: db, Source: src,
		Clock: (&stepClock{now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), step: time.Hour}).Now})
	runIdle(t, opts)
	first, err := db.LoadJourneyStates(context.Background(), cfg.Name, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	runIdle(t, opts) // restart: nothing new happens, assignments are unchanged
	second, _ := db.LoadJourneyStates(context.Background(), cfg.Name, 0, 1)
	got := recv.customers()
	held := 0
	for id, st := range first {
		if st.Holdout != journey.InHoldout(cfg.Name, id, 30) || second[id].Holdout != st.Holdout {
			t.Fatalf("%s: holdout %v, after restart %v, hash says %v", id, st.Holdout, second[id].Holdout, journey.InHoldout(cfg.Name, id, 30))
		}
		if st.Holdout {
			held++
			if got[id] != 0 {
				t.Fatalf("holdout customer %s was messaged %d times", id, got[id])
			}
		}
	}
	if len(first) != 1000 || held < 250 || held > 350 {
		t.Fatalf("%d journeys, %d held out (30%% of 1000 expected)", len(first), held)
	}
}
