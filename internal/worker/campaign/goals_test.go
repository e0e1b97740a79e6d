package campaign

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
)

// A goal of order_placed converts from the orders table (orders produce no
// events): customers who were sent a message and then ordered within the
// window count as conversions, holdout customers who ordered count for the
// holdout arm, orders outside the window or before enrolment do not, and
// lift is non-zero.
func TestOrderPlacedGoalConvertsFromOrders(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		recv := newReceiver(t, 0)
		start := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		feats := consenting(300)
		src := &memSource{feats: feats}
		cfg := journey.Config{Name: "shop/orders-goal", Namespace: "shop", Trigger: journey.Trigger{SegmentEntry: true},
			HoldoutPercent: 20, Goal: &journey.Goal{EventType: journey.OrderPlacedGoal, Window: 48 * time.Hour},
			Steps: []journey.Step{
				{Name: "hello", Send: &journey.SendStep{ChannelRef: "hook", Template: journey.Template{Subject: "Hi", Body: "Hi"}}},
				{Name: "pause", Wait: &journey.WaitStep{Duration: 72 * time.Hour}},
			}}
		clock := &stepClock{now: start, step: time.Hour}
		w := newShardWorker(t, Options{Playbook: cfg, DB: db, Source: src, Clock: clock.Now, Logger: quiet,
			Channels:     hookChannels(webhookSender(t, recv.srv.URL)),
			ChannelKinds: hookKinds()})
		ctx := context.Background()
		if _, err := w.round(ctx); err != nil { // enrols all 300 at start+1h and sends
			t.Fatal(err)
		}
		// Treatment customers 0..99 order 3h after the send; of the
		// rest, 100..119 order before enrolment, 120..139 after the
		// window. Holdout customers order (or not) by the same rule.
		var wantT, wantH, treated, holdout int64
		for i := 0; i < 300; i++ {
			id := fmt.Sprintf("cust-%04d", i)
			inHoldout := journey.InHoldout(cfg.Name, id, 20)
			if inHoldout {
				holdout++
			} else {
				treated++
			}
			var at time.Time
			switch {
			case i < 100 && (!inHoldout || i%2 == 0):
				// Fewer holdout than treatment customers order: the
				// message lifted conversions.
				at = start.Add(4 * time.Hour)
				if inHoldout {
					wantH++
				} else {
					wantT++
				}
			case i >= 100 && i < 120:
				at = start.Add(-time.Hour)
			case i >= 120 && i < 140:
				at = start.Add(60 * time.Hour)
			default:
				continue
			}
			src.orders = append(src.orders, customer.Order{CustomerID: id, OrderID: "o-" + id, Amount: 20, OccurredAt: at})
		}
		for i := 0; i < 80; i++ { // to start+81h: past every order and the window
			if _, err := w.round(ctx); err != nil {
				t.Fatal(err)
			}
		}
		s, err := w.Summarize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c := s.Conversions
		if c.Treatment != wantT || c.Holdout != wantH || c.TreatmentJourneys != treated || c.HoldoutJourneys != holdout {
			t.Fatalf("conversions %+v; want treatment %d/%d, holdout %d/%d", c, wantT, treated, wantH, holdout)
		}
		if s.Lift.Difference <= 0 {
			t.Fatalf("lift %+v, want a positive difference", s.Lift)
		}
		t.Logf("conversions %+v, lift %+v", c, s.Lift)
	})
}

// goal.minOrderAmount: only orders of at least the amount convert; a small
// order inside the window does not, and does not hide a later large one.
func TestOrderGoalMinimumAmount(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		recv := newReceiver(t, 0)
		start := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		feats := customers(200)
		src := &memSource{feats: feats}
		cfg := journey.Config{Name: "shop/big-orders", Namespace: "shop", Trigger: journey.Trigger{SegmentEntry: true},
			Goal: &journey.Goal{EventType: journey.OrderPlacedGoal, Window: 48 * time.Hour, MinOrderAmount: 50},
			Steps: []journey.Step{
				{Name: "hello", Send: &journey.SendStep{ChannelRef: "hook", Template: journey.Template{Subject: "Hi", Body: "Hi"}}},
				{Name: "pause", Wait: &journey.WaitStep{Duration: 72 * time.Hour}},
			}}
		if _, err := journey.Compile(cfg, hookKinds()); err != nil {
			t.Fatal(err)
		}
		w := newShardWorker(t, Options{Playbook: cfg, DB: db, Source: src, Clock: (&stepClock{now: start, step: time.Hour}).Now,
			Logger: quiet, Channels: hookChannels(webhookSender(t, recv.srv.URL)),
			ChannelKinds: hookKinds()})
		ctx := context.Background()
		if _, err := w.round(ctx); err != nil {
			t.Fatal(err)
		}
		// 0..49 order 20 (too small), 50..99 order exactly 50, 100..129
		// order 49.99 and then 75 a day later; the rest order nothing.
		var want int64
		for i := 0; i < 130; i++ {
			id := fmt.Sprintf("cust-%04d", i)
			at := start.Add(4 * time.Hour)
			switch {
			case i < 50:
				src.orders = append(src.orders, customer.Order{CustomerID: id, OrderID: "s-" + id, Amount: 20, OccurredAt: at})
			case i < 100:
				src.orders = append(src.orders, customer.Order{CustomerID: id, OrderID: "e-" + id, Amount: 50, OccurredAt: at})
				want++
			default:
				src.orders = append(src.orders,
					customer.Order{CustomerID: id, OrderID: "a-" + id, Amount: 49.99, OccurredAt: at},
					customer.Order{CustomerID: id, OrderID: "b-" + id, Amount: 75, OccurredAt: at.Add(24 * time.Hour)})
				want++
			}
		}
		for i := 0; i < 80; i++ {
			if _, err := w.round(ctx); err != nil {
				t.Fatal(err)
			}
		}
		s, err := w.Summarize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Conversions.Treatment; got != want || s.Conversions.TreatmentJourneys != 200 {
			t.Fatalf("conversions %+v, want %d of 200 (orders of at least 50 only)", s.Conversions, want)
		}
	})
}
