package campaign

import (
	"context"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
)

func goalFromOrders(g *journey.Goal) bool { return g != nil && g.EventType == journey.OrderPlacedGoal }

// orderRead is one poll's orders as order_placed events, and the cursor to
// save once the tick's conversions have committed.
type orderRead struct {
	// goal are the orders that count for the order_placed goal (at least
	// its MinOrderAmount); all are every order, which a waitFor step on
	// order_placed sees whatever its amount.
	goal   []customer.Event
	all    []customer.Event
	cursor string
}

// readsOrders reports whether the playbook needs the orders table: the
// order_placed goal or a waitFor step awaiting order_placed.
func (w *worker) readsOrders() bool {
	if goalFromOrders(w.pb.Goal) {
		return true
	}
	for _, t := range w.pb.WaitForTypes() {
		if t == journey.OrderPlacedGoal {
			return true
		}
	}
	return false
}

// ordersLookBack is how far back the first read of orders starts: one goal
// window or one waitFor timeout, whichever is longer; older orders can fall
// inside neither.
func (w *worker) ordersLookBack() time.Duration {
	d := w.pb.LongestWaitFor()
	if w.pb.Goal != nil && w.pb.Goal.Window > d {
		d = w.pb.Goal.Window
	}
	return d
}

// loadOrders reads the shard's orders since the orders cursor minus
// Options.EventOverlap (orders written late still convert; a conversion is
// recorded once per journey, so re-reading is harmless). The first read
// starts ordersLookBack back.
func (w *worker) loadOrders(ctx context.Context, now time.Time) (*orderRead, error) {
	if !w.readsOrders() {
		return &orderRead{}, nil
	}
	name := w.cursorName("orders")
	last, err := w.db.JourneyCursor(ctx, w.pb.Name, name)
	if err != nil {
		return nil, err
	}
	since := now.Add(-w.ordersLookBack())
	maxAt := since
	if last != "" {
		maxAt, _ = time.Parse(time.RFC3339Nano, last)
		since = maxAt.Add(-w.o.EventOverlap)
	}
	minAmount := 0.0
	if goalFromOrders(w.pb.Goal) {
		minAmount = w.pb.Goal.MinOrderAmount
	}
	r := &orderRead{}
	err = w.o.Source.ScanOrders(ctx, since, func(o *customer.Order) error {
		if journey.Shard(o.CustomerID, w.o.Shards) != w.o.Shard || o.OccurredAt.After(now) {
			return nil
		}
		if o.OccurredAt.After(maxAt) {
			maxAt = o.OccurredAt // a small order still moves the cursor
		}
		ev := customer.Event{CustomerID: o.CustomerID, Type: journey.OrderPlacedGoal, OccurredAt: o.OccurredAt}
		r.all = append(r.all, ev)
		if goalFromOrders(w.pb.Goal) && o.Amount >= minAmount {
			r.goal = append(r.goal, ev)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.cursor = maxAt.UTC().Format(time.RFC3339Nano)
	return r, nil
}
