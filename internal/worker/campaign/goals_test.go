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

// orderGoalPlaybook says "Hi" on channel "hook" to every segment entrant,
// then waits 72h for the order_placed goal (its window and minimum amount
// from goal).
func orderGoalPlaybook(name string, holdout float64, goal journey.Goal) journey.Config {
	goal.EventType = journey.OrderPlacedGoal
	return journey.Config{Name: name, Namespace: "shop", Trigger: journey.Trigger{SegmentEntry: true},
		HoldoutPercent: holdout, Goal: &goal,
		Steps: []journey.Step{
			{Name: "hello", Send: &journey.SendStep{ChannelRef: "hook", Template: journey.Template{Subject: "Hi", Body: "Hi"}}},
			{Name: "pause", Wait: &journey.WaitStep{Duration: 72 * time.Hour}},
		}}
}

// goalWorker is a single-shard worker of cfg over feats whose clock steps
// an hour a reading from start, sending to a receiver on loopback; the
// orders the test places go into the source it returns.
func goalWorker(t *testing.T, db *store.DB, cfg journey.Config, feats []customer.Features, start time.Time) (*worker, *memSource) {
	t.Helper()
	src := &memSource{feats: feats}
	recv := newReceiver(t, 0)
	return newShardWorker(t, withHook(t, recv.srv.URL, Options{Playbook: cfg, DB: db, Source: src,
		Clock: (&stepClock{now: start, step: time.Hour}).Now})), src
}

// A goal of order_placed converts from the orders table (orders produce no
// events): customers who were sent a message and then ordered within the
// window count as conversions, holdout customers who ordered count for the
// holdout arm, orders outside the window or before enrolment do not, and
// lift is non-zero.
func TestOrderPlacedGoalConvertsFromOrders(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		start := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		feats := consenting(300)
		cfg := orderGoalPlaybook("shop/orders-goal", 20, journey.Goal{Window: 48 * time.Hour})
		w, src := goalWorker(t, db, cfg, feats, start)
		rounds(t, w, 1) // enrols all 300 at start+1h and sends
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
		s := summaryAfter(t, w, 80) // to start+81h: past every order and the window
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
		start := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		cfg := orderGoalPlaybook("shop/big-orders", 0, journey.Goal{Window: 48 * time.Hour, MinOrderAmount: 50})
		if _, err := journey.Compile(cfg, hookKinds()); err != nil {
			t.Fatal(err)
		}
		w, src := goalWorker(t, db, cfg, customers(200), start)
		rounds(t, w, 1)
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
		s := summaryAfter(t, w, 80)
		if got := s.Conversions.Treatment; got != want || s.Conversions.TreatmentJourneys != 200 {
			t.Fatalf("conversions %+v, want %d of 200 (orders of at least 50 only)", s.Conversions, want)
		}
	})
}

// variantPlaybook offers two subject variants in one send step; which
// converts better is measured by the same order_placed goal.
func variantPlaybook(promote *journey.Promote) journey.Config {
	return journey.Config{Name: "shop/ab", Namespace: "shop", Trigger: journey.Trigger{SegmentEntry: true},
		HoldoutPercent: 10, Goal: &journey.Goal{EventType: journey.OrderPlacedGoal, Window: 48 * time.Hour},
		Steps: []journey.Step{
			{Name: "offer", Send: &journey.SendStep{ChannelRef: "hook", Template: journey.Template{Subject: "Hi", Body: "Hello"},
				Variants: []journey.Variant{
					{Name: "plain", Weight: 1, Template: journey.Template{Subject: "A note from us"}},
					{Name: "discount", Weight: 1, Template: journey.Template{Subject: "10% off"}},
				}, Promote: promote}},
			{Name: "pause", Wait: &journey.WaitStep{Duration: 72 * time.Hour}},
		}}
}

var variantSubject = map[string]string{"plain": "A note from us", "discount": "10% off"}

type ledgerVariant struct{ variant, subject, status string }

// ledgerVariants reads, per customer, the variant the ledger recorded for
// the offer step and the subject that row carried.
func ledgerVariants(t *testing.T, db *store.DB) map[string]ledgerVariant {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT d.customer_id, v.variant, d.subject, d.status FROM delivery_variants v
		JOIN delivery_ledger d ON d.idempotency_key = v.idempotency_key WHERE v.playbook = 'shop/ab' AND v.step = 'offer'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]ledgerVariant{}
	for rows.Next() {
		var id string
		var l ledgerVariant
		if err := rows.Scan(&id, &l.variant, &l.subject, &l.status); err != nil {
			t.Fatal(err)
		}
		out[id] = l
	}
	return out
}

// Two worker instances (shards 0/2 and 1/2) over one store send each
// treatment customer the variant AssignVariant gives them, record it in the
// ledger with the subject that went out, and give holdout customers none;
// a third instance started afterwards (a restart) changes nothing. Then
// per-variant figures come from the ledger; the promotion rule does not
// promote one send below its minimum sample and does at it; and after the
// promotion, new customers are all sent the winner, by a fresh instance.
func TestVariantsAcrossInstancesAndPromotion(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		recv := newReceiver(t, 0)
		start := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		feats := consenting(300)
		src := &memSource{feats: feats}
		// A minute a reading: each commit round of sends reads the clock
		// once, so the sends' times must stay well inside the 48 h goal
		// window however many rounds a batch takes.
		clock := &stepClock{now: start, step: time.Minute}
		opts := func(promote *journey.Promote) Options {
			return withHook(t, recv.srv.URL, Options{Playbook: variantPlaybook(promote), DB: db, Source: src, Clock: clock.Now})
		}
		w0, w1 := shardWorker(t, opts(nil), 0, 2), shardWorker(t, opts(nil), 1, 2)
		for _, w := range []*worker{w0, w1} {
			rounds(t, w, 1)
		}
		got := ledgerVariants(t, db)
		want := map[string]int64{}
		for _, f := range feats {
			l, sent := got[f.ID]
			if journey.InHoldout("shop/ab", f.ID, 10) {
				if sent {
					t.Fatalf("holdout customer %s has variant %+v", f.ID, l)
				}
				continue
			}
			v := journey.AssignVariant("shop/ab", "offer", f.ID, variantPlaybook(nil).Steps[0].Send.Variants)
			if !sent || l.variant != v || l.subject != variantSubject[v] || l.status != store.DeliverySent {
				t.Fatalf("%s: ledger %+v, want variant %s sent with subject %q", f.ID, l, v, variantSubject[v])
			}
			want[v]++
		}
		// A restart: a new single instance over the same store.
		restart := shardWorker(t, opts(nil), 0, 1)
		rounds(t, restart, 1)
		if again := ledgerVariants(t, db); len(again) != len(got) {
			t.Fatalf("restart changed the ledger: %d rows, was %d", len(again), len(got))
		} else {
			for id, l := range got {
				if again[id] != l {
					t.Fatalf("restart changed %s: %+v -> %+v", id, l, again[id])
				}
			}
		}
		// Every discount customer orders after the sends (the step clock
		// has moved on since); no plain one does.
		orderAt := clock.Now()
		for id, l := range got {
			if l.variant == "discount" {
				src.orders = append(src.orders, customer.Order{CustomerID: id, OrderID: "o-" + id, Amount: 20, OccurredAt: orderAt})
			}
		}
		s := summaryAfter(t, restart, 6)
		if len(s.Variants) != 2 || s.Variants[0].Name != "plain" || s.Variants[1].Name != "discount" {
			t.Fatalf("variants %+v", s.Variants)
		}
		plain, discount := s.Variants[0], s.Variants[1]
		if plain.Sends != want["plain"] || plain.Conversions != 0 || discount.Sends != want["discount"] || discount.Conversions != want["discount"] {
			t.Fatalf("figures %+v / %+v, want plain %d sends 0 conversions, discount %d of %d", plain, discount, want["plain"], want["discount"], want["discount"])
		}
		if discount.ProbabilityToBeBest < 0.999 || discount.Rate != 1 || plain.Rate != 0 {
			t.Fatalf("discount converts every send and plain none: %+v / %+v", plain, discount)
		}
		t.Logf("plain %+v", plain)
		t.Logf("discount %+v", discount)

		smallest := min(plain.Sends, discount.Sends)
		below := shardWorker(t, opts(&journey.Promote{MinSamplePerVariant: smallest + 1, ProbabilityToBeBest: 0.95}), 0, 1)
		if err := below.promoteVariants(ctx); err != nil {
			t.Fatal(err)
		}
		if ps, err := db.VariantPromotions(ctx, "shop/ab"); err != nil || len(ps) != 0 {
			t.Fatalf("promoted one send below the minimum sample (%d): %+v %v", smallest+1, ps, err)
		}
		at := shardWorker(t, opts(&journey.Promote{MinSamplePerVariant: smallest, ProbabilityToBeBest: 0.95}), 0, 1)
		if err := at.promoteVariants(ctx); err != nil {
			t.Fatal(err)
		}
		ps, err := db.VariantPromotions(ctx, "shop/ab")
		if err != nil || ps["offer"].Variant != "discount" {
			t.Fatalf("at the minimum sample (%d) discount must be promoted: %+v %v", smallest, ps, err)
		}
		if s, err = at.Summarize(ctx); err != nil || len(s.Promotions) != 1 || s.Promotions[0].Variant != "discount" || s.Promotions[0].At.IsZero() {
			t.Fatalf("summary promotions %+v %v", s.Promotions, err)
		}

		// New customers arrive; a fresh instance sends them all the winner.
		for i := 300; i < 400; i++ {
			src.feats = append(src.feats, customer.Features{ID: fmt.Sprintf("cust-%04d", i), Email: fmt.Sprintf("c%d@example.com", i),
				ConsentEmail: true, Attributes: map[string]string{journey.ConsentWebhookAttribute: "true"}})
		}
		fresh := shardWorker(t, opts(&journey.Promote{MinSamplePerVariant: smallest, ProbabilityToBeBest: 0.95}), 0, 1)
		rounds(t, fresh, 1)
		after := ledgerVariants(t, db)
		newSends, wouldBePlain := 0, 0
		for i := 300; i < 400; i++ {
			id := fmt.Sprintf("cust-%04d", i)
			l, ok := after[id]
			if !ok {
				continue // holdout
			}
			newSends++
			if l.variant != "discount" || l.subject != variantSubject["discount"] {
				t.Fatalf("after promotion %s got %+v", id, l)
			}
			if journey.AssignVariant("shop/ab", "offer", id, variantPlaybook(nil).Steps[0].Send.Variants) == "plain" {
				wouldBePlain++
			}
		}
		if newSends < 80 || wouldBePlain == 0 {
			t.Fatalf("%d new sends, %d of them assigned plain before the promotion", newSends, wouldBePlain)
		}
		t.Logf("after promotion: %d new sends all discount (%d would have been plain)", newSends, wouldBePlain)
	})
}
