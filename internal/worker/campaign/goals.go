package campaign

import (
	"context"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
)

func goalFromOrders(g *journey.Goal) bool { return g != nil && g.EventType == journey.OrderPlacedGoal }

// orderRead is one poll's orders as goal events, and the cursor to save
// once the tick's conversions have committed.
type orderRead struct {
	events []customer.Event
	cursor string
}

// loadOrders reads the shard's orders since the orders cursor minus
// Options.EventOverlap (orders written late still convert; a conversion is
// recorded once per journey, so re-reading is harmless). The first read
// starts one goal window back: older orders cannot fall inside the window
// of a journey whose window is still open.
func (w *worker) loadOrders(ctx context.Context, now time.Time) (*orderRead, error) {
	if !goalFromOrders(w.pb.Goal) {
		return &orderRead{}, nil
	}
	name := w.cursorName("orders")
	last, err := w.db.JourneyCursor(ctx, w.pb.Name, name)
	if err != nil {
		return nil, err
	}
	since := now.Add(-w.pb.Goal.Window)
	maxAt := since
	if last != "" {
		maxAt, _ = time.Parse(time.RFC3339Nano, last)
		since = maxAt.Add(-w.o.EventOverlap)
	}
	r := &orderRead{}
	err = w.o.Source.ScanOrders(ctx, since, func(o *customer.Order) error {
		if journey.Shard(o.CustomerID, w.o.Shards) != w.o.Shard || o.OccurredAt.After(now) {
			return nil
		}
		if o.OccurredAt.After(maxAt) {
			maxAt = o.OccurredAt // a small order still moves the cursor
		}
		if o.Amount < w.pb.Goal.MinOrderAmount {
			return nil
		}
		r.events = append(r.events, customer.Event{CustomerID: o.CustomerID, Type: journey.OrderPlacedGoal, OccurredAt: o.OccurredAt})
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.cursor = maxAt.UTC().Format(time.RFC3339Nano)
	return r, nil
}
