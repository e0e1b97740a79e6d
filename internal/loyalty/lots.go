package loyalty

import (
	"sort"
	"time"
)

// Lot is one credit of points (an earn, bonus or positive adjustment) with the
// part of it not yet spent, reversed or expired.
type Lot struct {
	ID          int64
	EarnedAt    time.Time
	AvailableAt time.Time // end of the pending period
	ExpiresAt   time.Time // zero: no fixed expiry
	Remaining   int64
}

// Pending reports whether the lot is still inside its pending period at now.
func (l Lot) Pending(now time.Time) bool { return now.Before(l.AvailableAt) }

// Expired reports whether the lot's fixed lifetime is over at now.
func (l Lot) Expired(now time.Time) bool { return !l.ExpiresAt.IsZero() && !now.Before(l.ExpiresAt) }

// Take is a planned deduction from one lot.
type Take struct {
	LotID  int64
	Points int64
}

// SortOldestFirst orders lots by when they were earned (ties by ID), the order
// in which redemptions consume and expiry lapses them.
func SortOldestFirst(lots []Lot) {
	sort.SliceStable(lots, func(i, j int) bool {
		if !lots[i].EarnedAt.Equal(lots[j].EarnedAt) {
			return lots[i].EarnedAt.Before(lots[j].EarnedAt)
		}
		return lots[i].ID < lots[j].ID
	})
}

// Balance splits the lots' remaining points at now into available (past the
// pending period, not expired) and pending (still inside the pending period).
func Balance(lots []Lot, now time.Time) (available, pending int64) {
	for _, l := range lots {
		switch {
		case l.Remaining <= 0 || l.Expired(now):
		case l.Pending(now):
			pending += l.Remaining
		default:
			available += l.Remaining
		}
	}
	return available, pending
}

// PlanRedemption takes points from available lots, oldest first (FIFO). ok is
// false, and nothing is planned, when the available balance is below points.
func PlanRedemption(lots []Lot, points int64, now time.Time) (takes []Take, ok bool) {
	sorted := append([]Lot(nil), lots...)
	SortOldestFirst(sorted)
	left := points
	for _, l := range sorted {
		if left == 0 {
			break
		}
		if l.Remaining <= 0 || l.Expired(now) || l.Pending(now) {
			continue
		}
		n := min(l.Remaining, left)
		takes = append(takes, Take{LotID: l.ID, Points: n})
		left -= n
	}
	if left > 0 {
		return nil, false
	}
	return takes, true
}

// PlanReversal takes up to points back for a refund: first from the refunded
// order's own lot (preferLot, pending or not), then from the other unexpired
// lots oldest first. It never takes more than exists, so a balance never goes
// below zero; the shortfall (points already spent and gone) is returned.
func PlanReversal(lots []Lot, preferLot int64, points int64, now time.Time) (takes []Take, shortfall int64) {
	sorted := append([]Lot(nil), lots...)
	SortOldestFirst(sorted)
	left := points
	for _, l := range sorted {
		if l.ID == preferLot && l.Remaining > 0 && !l.Expired(now) {
			n := min(l.Remaining, left)
			takes = append(takes, Take{LotID: l.ID, Points: n})
			left -= n
		}
	}
	for _, l := range sorted {
		if left == 0 {
			break
		}
		if l.ID == preferLot || l.Remaining <= 0 || l.Expired(now) {
			continue
		}
		n := min(l.Remaining, left)
		takes = append(takes, Take{LotID: l.ID, Points: n})
		left -= n
	}
	return takes, left
}
