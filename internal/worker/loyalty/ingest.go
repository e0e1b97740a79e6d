package loyalty

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/store"
)

// ingestCursor names the ledger cursor of the order/event stream.
const ingestCursor = "ingest"

// IngestStats counts what one pass did (aggregates only, safe to log).
type IngestStats struct {
	Orders, Events, Applied, Duplicates, Ignored int
	// Refused rows would have taken a balance past loyalty.MaxBalance.
	Refused int
	Cursor  time.Time
}

// streamItem is an order or an event, merged by time so an enrollment or a
// refund is applied after the rows it depends on.
type streamItem struct {
	at    time.Time
	order *customer.Order
	event *customer.Event
}

// IngestOnce reads orders and events with occurred_at >= cursor - overlap,
// applies them in time order (at the same instant: enrollment, orders, then
// other events, so a refund follows its order), advances the cursor, then runs the time-driven
// maintenance (expiry, tier downgrades) at now. Replays are no-ops in the
// ledger, which is what makes the overlap safe.
func IngestOnce(ctx context.Context, p *store.Points, src Source, overlap time.Duration, now time.Time) (IngestStats, error) {
	var st IngestStats
	cursor, err := p.Cursor(ctx, ingestCursor)
	if err != nil {
		return st, err
	}
	since := cursor
	if !since.IsZero() {
		since = since.Add(-overlap)
	}
	// Each item holds a copy (new(*o)): a source may reuse what it passes.
	var items []streamItem
	if err := src.ScanOrders(ctx, since, func(o *customer.Order) error {
		items = append(items, streamItem{at: o.OccurredAt, order: new(*o)})
		return nil
	}); err != nil {
		return st, fmt.Errorf("scan orders: %w", err)
	}
	if err := src.ScanEvents(ctx, since, func(e *customer.Event) error {
		items = append(items, streamItem{at: e.OccurredAt, event: new(*e)})
		return nil
	}); err != nil {
		return st, fmt.Errorf("scan events: %w", err)
	}
	// At the same instant: enrollment, then orders, then other events (refunds).
	enroll := p.Config().EnrollEventType
	rank := func(it streamItem) int {
		switch {
		case it.event != nil && enroll != "" && it.event.Type == enroll:
			return 0
		case it.order != nil:
			return 1
		}
		return 2
	}
	sort.SliceStable(items, func(i, j int) bool {
		if !items[i].at.Equal(items[j].at) {
			return items[i].at.Before(items[j].at)
		}
		return rank(items[i]) < rank(items[j])
	})
	st.Cursor = cursor
	for _, it := range items {
		if it.at.After(now) {
			continue // not happened yet on the injected clock; a later pass takes it
		}
		var res store.Applied
		if it.order != nil {
			st.Orders++
			res, err = p.ApplyOrder(ctx, it.order, now)
		} else {
			st.Events++
			res, err = p.ApplyEvent(ctx, it.event, now)
		}
		if err != nil {
			return st, err
		}
		switch {
		case res.Duplicate:
			st.Duplicates++
		case res.Refused:
			st.Refused++
		case res.Ignored:
			st.Ignored++
		default:
			st.Applied++
		}
		if it.at.After(st.Cursor) {
			st.Cursor = it.at
		}
	}
	if err := p.SetCursor(ctx, ingestCursor, st.Cursor); err != nil {
		return st, err
	}
	if _, err := p.Maintain(ctx, now); err != nil {
		return st, err
	}
	return st, nil
}
