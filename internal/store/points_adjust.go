package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/internal/loyalty"
)

// Adjustment is the answer to an admin adjustment.
type Adjustment struct {
	ID        int64     `json:"adjustmentId"`
	Points    int64     `json:"points"`
	Reason    string    `json:"reason"`
	Available int64     `json:"available"`
	At        time.Time `json:"at"`
}

// Adjust credits (points > 0: a lot available at once) or debits (points < 0:
// oldest lots first, refused below zero) memberID with an admin reason. key
// makes retries safe: a repeated key returns the first answer.
//
// points must pass loyalty.CheckAdjustment and a credit must leave the
// balance (available plus pending) within loyalty.MaxBalance
// (*loyalty.BalanceBoundError otherwise), so no sum of lots can overflow.
func (p *Points) Adjust(ctx context.Context, memberID string, points int64, reason, key string, now time.Time) (a Adjustment, replayed bool, err error) {
	if key == "" {
		return a, false, fmt.Errorf("empty idempotency key")
	}
	if err := loyalty.CheckAdjustment(points); err != nil {
		return a, false, err
	}
	adjust := func(m *memberTx) error {
		if e := m.prior; e != nil {
			a = Adjustment{ID: e.id, Points: e.points, Reason: e.reason, Available: e.balanceAfter, At: e.recordedAt}
			replayed = true
			return nil
		}
		if points < 0 {
			var r Redemption
			if err := m.debit(ctx, KindAdjust, key, -points, "", reason, &r); err != nil {
				return err
			}
			a = Adjustment{ID: r.ID, Points: points, Reason: reason, Available: r.Available, At: now}
			return nil
		}
		if err := loyalty.CheckCredit("points", m.balance(), points); err != nil {
			return err
		}
		id, err := m.insertEntry(ctx, KindAdjust, requestKey(key), points, 0, "", reason, 0, now)
		if err != nil {
			return err
		}
		if id == 0 {
			return errRequestRaced // never credit without the entry that records it
		}
		if err := m.addLot(ctx, id, points, now, false); err != nil {
			return err
		}
		after := m.available()
		if _, err := m.tx.Exec(ctx, `UPDATE points_entries SET balance_after = $1 WHERE id = $2`, after, id); err != nil {
			return err
		}
		a = Adjustment{ID: id, Points: points, Reason: reason, Available: after, At: now}
		return nil
	}
	err = p.request(ctx, memberID, KindAdjust, key, now, func(m *memberTx) error {
		err := adjust(m)
		if m.prior == nil && isAdjustRefusal(err) { // a retry racing its first attempt: see recheckRefusal
			found, perr := m.reprobe(m.tx.QueryRow(ctx, probeEntrySQL, memberID, KindAdjust, key))
			if perr != nil {
				return perr
			}
			if found {
				return adjust(m) // replays the entry found
			}
		}
		return err
	})
	return a, replayed, err
}

// isAdjustRefusal reports an adjustment refused for the member's balance
// (a debit below zero, a credit above loyalty.MaxBalance) before anything
// was written.
func isAdjustRefusal(err error) bool {
	var bound *loyalty.BalanceBoundError
	return errors.Is(err, ErrInsufficientPoints) || errors.As(err, &bound)
}
