package metrics

import (
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// RetentionCounts are the customer counts behind retention and churn for the
// window [start, end) with activity lookback L:
//
//   - Start (S): customers active at start — at least one order in [start-L, start);
//   - End (E): customers active at end — at least one order in [end-L, end);
//   - New (N): customers in E whose first order (over all orders given) lies in
//     [start, end), i.e. acquired during the window;
//   - Lost: customers in S who are not in E.
//
// E - N therefore counts customers acquired before the window who are active
// at its end: those retained from S plus any reactivated (inactive at start,
// active again at end).
type RetentionCounts struct {
	Start, End, New, Lost int
}

// CountRetention derives RetentionCounts from orders. lookback <= 0 means the
// window length, which makes "active" period-over-period: ordered in the
// previous period (start) versus in this one (end). Orders before
// start-lookback are still used to decide who is new, so pass the customers'
// history, not only the window.
func CountRetention(orders []customer.Order, start, end time.Time, lookback time.Duration) RetentionCounts {
	if lookback <= 0 {
		lookback = end.Sub(start)
	}
	startFrom, endFrom := start.Add(-lookback), end.Add(-lookback)
	type state struct {
		first                  time.Time
		activeStart, activeEnd bool
	}
	byCustomer := make(map[string]*state)
	for _, o := range orders {
		if !o.OccurredAt.Before(end) {
			continue // after the window: unknown at its end
		}
		s := byCustomer[o.CustomerID]
		if s == nil {
			s = &state{first: o.OccurredAt}
			byCustomer[o.CustomerID] = s
		}
		if o.OccurredAt.Before(s.first) {
			s.first = o.OccurredAt
		}
		at := o.OccurredAt
		if !at.Before(startFrom) && at.Before(start) {
			s.activeStart = true
		}
		if !at.Before(endFrom) {
			s.activeEnd = true
		}
	}
	var c RetentionCounts
	for _, s := range byCustomer {
		if s.activeStart {
			c.Start++
			if !s.activeEnd {
				c.Lost++
			}
		}
		if s.activeEnd {
			c.End++
			if !s.first.Before(start) {
				c.New++
			}
		}
	}
	return c
}

// RetentionRate is the customer retention rate in percent:
//
//	retention = (E - N) / S · 100
//
// with E, N, S as in RetentionCounts. ok is false when S = 0 (no customer was
// active at the start, so there is nobody to retain). Because E - N includes
// reactivated customers the rate can exceed 100 in a win-back period.
func RetentionRate(c RetentionCounts) (rate float64, ok bool) {
	if c.Start == 0 {
		return 0, false
	}
	return float64(c.End-c.New) / float64(c.Start) * 100, true
}

// ChurnRate is the customer churn rate in percent:
//
//	churn = Lost / S · 100
//
// the share of customers active at the start who are not active at the end.
// It equals 100 - RetentionRate when nobody reactivated, and unlike
// 100 - retention it stays within 0..100. ok is false when S = 0.
func ChurnRate(c RetentionCounts) (rate float64, ok bool) {
	if c.Start == 0 {
		return 0, false
	}
	return float64(c.Lost) / float64(c.Start) * 100, true
}
