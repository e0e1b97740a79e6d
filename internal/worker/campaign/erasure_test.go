package campaign

import (
	"context"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
)

// memConnector is memSource as a full connector, so the test reads it
// through datasource.WithoutErased as the worker command does.
type memConnector struct{ *memSource }

func (memConnector) ScanCustomers(context.Context, func(*customer.Customer) error) error { return nil }
func (memConnector) ScanFeedback(context.Context, time.Time, func(*customer.Feedback) error) error {
	return nil
}
func (memConnector) Close() error { return nil }

// TestForgetWhileRunning: a customer erased while the worker runs, in the
// middle of a journey, gets no further message; the other members get
// theirs; the store holds no journey or ledger row under the id. The data
// source still holds the customer, as a company's database would.
func TestForgetWhileRunning(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		recv := newReceiver(t, 0)
		src := &memSource{feats: customers(9)} // webhook consent: 0, 1, 3, 4, 6, 7
		const erased = "cust-0000"
		cfg := journey.Config{Name: "shop/series", Namespace: "shop", Trigger: journey.Trigger{SegmentEntry: true},
			Steps: []journey.Step{
				{Name: "hello", Send: &journey.SendStep{ChannelRef: "hook", Template: journey.Template{Subject: "Hi", Body: "Hello {{.email}}"}}},
				{Name: "pause", Wait: &journey.WaitStep{Duration: 2 * time.Hour}},
				{Name: "again", Send: &journey.SendStep{ChannelRef: "hook", Template: journey.Template{Subject: "Again", Body: "Still here, {{.email}}?"}}},
			}}
		start := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		clock := &stepClock{now: start}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() {
			done <- Run(ctx, withHook(t, recv.srv.URL, Options{Playbook: cfg, DB: db, Clock: clock.Now,
				Source:       datasource.WithoutErased(memConnector{src}, db.ErasureList()),
				InSegment:    everyone,
				PollInterval: 5 * time.Millisecond}))
		}()
		waitUntil := func(what string, cond func() bool) {
			t.Helper()
			deadline := time.Now().Add(20 * time.Second)
			for !cond() {
				if time.Now().After(deadline) {
					t.Fatalf("timed out waiting for %s; received %v", what, recv.customers())
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		total := func() int {
			n := 0
			for _, c := range recv.customers() {
				n += c
			}
			return n
		}
		waitUntil("the first message to 6 customers", func() bool { return total() == 6 })
		if _, err := db.Forget(ctx, erased, start); err != nil {
			t.Fatal(err)
		}
		clock.advance(3 * time.Hour)
		waitUntil("the second message to the 5 others", func() bool { return total() == 11 })
		time.Sleep(100 * time.Millisecond) // more polls: nothing else may arrive
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		got := recv.customers()
		if got[erased] != 1 || total() != 11 {
			t.Fatalf("messages per customer %v: want 1 for %s (before the erasure), 2 for each other consenting customer", got, erased)
		}
		for _, q := range []string{
			`SELECT count(*) FROM journey_states WHERE customer_id = $1`,
			`SELECT count(*) FROM delivery_ledger WHERE customer_id = $1`,
			`SELECT count(*) FROM journey_seen WHERE customer_id = $1`,
		} {
			var n int
			if err := db.QueryRow(context.Background(), q, erased).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s: %d, %v; want 0", q, n, err)
			}
		}
	})
}
