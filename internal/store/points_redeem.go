package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/internal/loyalty"
)

// Redemption is the answer to a redemption request; a retry with the same
// Idempotency-Key gets the same Redemption back.
type Redemption struct {
	ID         int64     `json:"redemptionId"`
	Reward     string    `json:"reward"`
	Points     int64     `json:"points"`
	Available  int64     `json:"available"` // available balance right after this redemption
	RedeemedAt time.Time `json:"redeemedAt"`
}

// Redeem spends cost points on reward for memberID, oldest unexpired lots
// first. key is the client's Idempotency-Key: when it was already used by this
// member for the same reward, the first answer is returned with replayed=true
// and nothing is deducted; for a different reward, ErrIdempotencyReuse. A
// balance below cost gives an *InsufficientError and records nothing (so a
// retry after earning more can succeed).
//
// A reward with a MinTier the member's current tier does not reach gives a
// *loyalty.TierRequiredError and, like a short balance, records nothing: the
// key stays unused, so the same key retried after the member moves up can
// succeed. The tier is checked under the member lock, after the replay check:
// a key that already succeeded replays its answer even if the member has
// since moved down (the reward was theirs when it was redeemed).
func (p *Points) Redeem(ctx context.Context, memberID, reward string, cost int64, key string, now time.Time) (r Redemption, replayed bool, err error) {
	if key == "" {
		return r, false, fmt.Errorf("empty idempotency key")
	}
	if p.db.Dialect == Postgres {
		return p.redeemPipelined(ctx, memberID, reward, cost, key, now)
	}
	return p.redeemTx(ctx, memberID, reward, cost, key, now)
}

// redeemTx is Redeem through database/sql: SQLite, and PostgreSQL members
// whose lots need expiring first (see redeemPipelined).
func (p *Points) redeemTx(ctx context.Context, memberID, reward string, cost int64, key string, now time.Time) (r Redemption, replayed bool, err error) {
	err = p.request(ctx, memberID, KindRedeem, key, now, func(m *memberTx) error {
		prior, err := p.checkRedeem(m, reward)
		if prior == nil && err == nil {
			err = m.debit(ctx, KindRedeem, key, cost, reward, "", &r)
		}
		if isRefusal(err) {
			prior, err = p.recheckRefusal(m, m.tx.QueryRow(ctx, probeEntrySQL, memberID, KindRedeem, key), reward, err)
		}
		if prior != nil {
			r, replayed = *prior, true
		}
		return err
	})
	return r, replayed, err
}

// isRefusal reports a redemption refused for the member's balance or tier,
// before anything was written.
func isRefusal(err error) bool {
	var tier *loyalty.TierRequiredError
	return errors.Is(err, ErrInsufficientPoints) || errors.As(err, &tier)
}

// recheckRefusal re-reads, under the member lock, the entry of the key a
// refused redemption probed (row: probeEntrySQL). A retry sent while its
// first attempt was still running waited for that attempt's row lock, and
// its first probe was read before the attempt committed: it found no entry,
// then a balance the attempt had spent. Its answer is the first attempt's
// (or ErrIdempotencyReuse), not the refusal.
func (p *Points) recheckRefusal(m *memberTx, row rowScanner, reward string, refusal error) (*Redemption, error) {
	found, err := m.reprobe(row)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, refusal
	}
	return p.checkRedeem(m, reward)
}

// reprobe sets m.prior from a probeEntrySQL row read under the member lock;
// found reports an entry.
func (m *memberTx) reprobe(row rowScanner) (found bool, err error) {
	e, err := scanPrior(row)
	if e != nil {
		m.prior = e
	}
	return e != nil, err
}

// checkRedeem decides what a redemption answers before it spends, under the
// member lock: the first answer when its key was already used (replay), or
// ErrIdempotencyReuse when that was for another reward, or a
// *loyalty.TierRequiredError. (nil, nil): go on and debit.
func (p *Points) checkRedeem(m *memberTx, reward string) (replay *Redemption, err error) {
	if e := m.prior; e != nil {
		if e.ref != reward {
			return nil, ErrIdempotencyReuse
		}
		return &Redemption{ID: e.id, Reward: e.ref, Points: -e.points, Available: e.balanceAfter, RedeemedAt: e.recordedAt}, nil
	}
	if rw, ok := p.cfg.Reward(reward); ok {
		if err := p.cfg.CanRedeem(rw, m.state.Tier); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// requestAttempts bounds request's retries after errRequestRaced: the second
// attempt sees the racing request's committed entry, so more are never needed
// unless the database misbehaves, and then a bounded error beats a loop.
const requestAttempts = 3

// request runs fn for a client request (kind, Idempotency-Key) under the
// member lock with the entry already recorded for that key in m.prior. When a
// concurrent request with the same key committed first (errRequestRaced), it
// runs again in a new transaction, which finds that entry: a retry racing its
// own first request gets the first answer, not an error.
func (p *Points) request(ctx context.Context, memberID, kind, key string, now time.Time, fn func(m *memberTx) error) error {
	return retryRaced(kind, func() error { return p.lockMember(ctx, memberID, false, now, kind, key, now, fn) })
}

// retryRaced runs attempt again, up to requestAttempts times, while it
// fails with errRequestRaced.
func retryRaced(kind string, attempt func() error) error {
	var err error
	for range requestAttempts {
		err = attempt()
		if !errors.Is(err, errRequestRaced) {
			return err
		}
	}
	return fmt.Errorf("%s request: %w %d times in a row", kind, err, requestAttempts)
}

// planDebit plans taking cost points from available lots FIFO; nothing is
// written or deducted yet.
func (m *memberTx) planDebit(cost int64) ([]loyalty.Take, error) {
	if cost <= 0 {
		return nil, fmt.Errorf("debit of %d points: must be positive", cost) // callers bound it; never a credit in disguise
	}
	takes, ok := loyalty.PlanRedemption(m.lots, cost, m.now)
	if !ok {
		return nil, &InsufficientError{Available: m.available(), Needed: cost}
	}
	return takes, nil
}

// debit takes points from available lots FIFO and appends the entry under
// request key key.
func (m *memberTx) debit(ctx context.Context, kind, key string, cost int64, ref, reason string, r *Redemption) error {
	takes, err := m.planDebit(cost)
	if err != nil {
		return err
	}
	if err := m.take(ctx, takes); err != nil {
		return err
	}
	after := m.available()
	id, err := m.insertEntry(ctx, kind, requestKey(key), -cost, 0, ref, reason, after, m.now)
	if err != nil {
		return err
	}
	if id == 0 {
		return errRequestRaced // rolls back the lot deductions above
	}
	if err := m.touch(ctx, m.now); err != nil {
		return err
	}
	*r = Redemption{ID: id, Reward: ref, Points: cost, Available: after, RedeemedAt: m.now}
	return nil
}
