package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/internal/loyalty"
)

// MemberView is one member's balance and tier at a moment.
type MemberView struct {
	ID        string            `json:"id"`
	Available int64             `json:"available"`
	Pending   int64             `json:"pending"`
	Tier      string            `json:"tier"`
	Progress  *loyalty.Progress `json:"progress,omitempty"`
	// ExpiringPoints lapse within the warning window, first at ExpiringAt.
	ExpiringPoints int64      `json:"expiringPoints"`
	ExpiringAt     *time.Time `json:"expiringAt,omitempty"`
	// Rewards names the rewards the member's tier may redeem (rewards whose
	// minTier is above it are left out), whatever the balance.
	Rewards []string `json:"rewards"`
}

// Member reads memberID's balance at now without writing: lots past their
// fixed expiry, or all lots past the inactivity deadline, count as lapsed even
// before a maintenance pass records the expire entries.
func (p *Points) Member(ctx context.Context, memberID string, now time.Time) (MemberView, error) {
	v := MemberView{ID: memberID}
	tx, err := p.db.Begin(ctx) // one snapshot for member row, lots and sums
	if err != nil {
		return v, err
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	var below, last int64
	err = tx.QueryRow(ctx, `SELECT tier, below_since, last_activity FROM points_members WHERE member_id = $1`, memberID).
		Scan(&v.Tier, &below, &last)
	if noRows(err) {
		return v, ErrUnknownMember
	}
	if err != nil {
		return v, err
	}
	lots, err := loadLots(ctx, tx, memberID)
	if err != nil {
		return v, err
	}
	lastAt := fromUS(last)
	if d := p.cfg.InactivityDeadline(lastAt); d.IsZero() || now.Before(d) {
		v.Available, v.Pending = loyalty.Balance(lots, now)
	}
	if pts, at := p.cfg.Expiring(lots, lastAt, now); pts > 0 {
		v.ExpiringPoints, v.ExpiringAt = pts, &at
	}
	m := &memberTx{tx: tx, p: p, id: memberID, now: now}
	metric, err := m.metric(ctx)
	if err != nil {
		return v, err
	}
	v.Progress = p.cfg.ProgressToNext(v.Tier, metric)
	v.Rewards = p.cfg.RewardsFor(v.Tier)
	return v, nil
}

// Entry is one ledger line as the history API shows it.
type Entry struct {
	ID         int64     `json:"id"`
	Kind       string    `json:"kind"`
	Points     int64     `json:"points"`
	Amount     float64   `json:"amount,omitempty"`
	Ref        string    `json:"ref,omitempty"` // order id, reward or event type
	Reason     string    `json:"reason,omitempty"`
	OccurredAt time.Time `json:"occurredAt"`
	RecordedAt time.Time `json:"recordedAt"`
}

// History lists memberID's entries newest first, those with id < before
// (0: from the newest), at most limit.
func (p *Points) History(ctx context.Context, memberID string, before int64, limit int) ([]Entry, error) {
	var n int
	if err := p.db.QueryRow(ctx, `SELECT count(*) FROM points_members WHERE member_id = $1`, memberID).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, ErrUnknownMember
	}
	if before <= 0 {
		before = 1 << 62
	}
	out, err := queryRows(ctx, p.db, func(rows *sql.Rows, e *Entry) error {
		var occ, rec int64
		err := rows.Scan(&e.ID, &e.Kind, &e.Points, &e.Amount, &e.Ref, &e.Reason, &occ, &rec)
		e.OccurredAt, e.RecordedAt = fromUS(occ), fromUS(rec)
		return err
	}, `SELECT id, kind, points, amount, ref, reason, occurred_at, recorded_at
		FROM points_entries WHERE member_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, memberID, before, limit)
	return nonNil(out), err
}

// TierChangeRow is one recorded tier change; ID is the cursor.
type TierChangeRow struct {
	ID        int64     `json:"id"`
	MemberID  string    `json:"memberId"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Direction string    `json:"direction"`
	At        time.Time `json:"at"`
}

// TierChangesSince lists tier changes with id > after, oldest first, at most
// limit; callers pass the last ID they saw as the next cursor.
func (p *Points) TierChangesSince(ctx context.Context, after int64, limit int) ([]TierChangeRow, error) {
	out, err := queryRows(ctx, p.db, func(rows *sql.Rows, c *TierChangeRow) error {
		var at int64
		err := rows.Scan(&c.ID, &c.MemberID, &c.From, &c.To, &c.Direction, &at)
		c.At = fromUS(at)
		return err
	}, `SELECT id, member_id, from_tier, to_tier, direction, changed_at
		FROM points_tier_changes WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	return nonNil(out), err
}

// ExpiringMember is a member with points lapsing inside the warning window.
type ExpiringMember struct {
	MemberID string    `json:"memberId"`
	Points   int64     `json:"points"`
	At       time.Time `json:"expiresAt"`
}

// Expiring lists members whose points lapse in (now, now + warningWindow],
// for reminder playbooks.
func (p *Points) Expiring(ctx context.Context, now time.Time) ([]ExpiringMember, error) {
	if p.cfg.PointsExpiry == nil {
		return []ExpiringMember{}, nil
	}
	rows, err := p.db.Query(ctx, `SELECT m.member_id, m.last_activity, l.id, l.earned_at, l.available_at, l.expires_at, l.remaining
		FROM points_members m JOIN points_lots l ON l.member_id = m.member_id
		WHERE l.remaining > 0 ORDER BY m.member_id, l.earned_at, l.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ExpiringMember{}
	var cur string
	var last time.Time
	var lots []loyalty.Lot
	flush := func() {
		if cur == "" {
			return
		}
		if pts, at := p.cfg.Expiring(lots, last, now); pts > 0 {
			out = append(out, ExpiringMember{MemberID: cur, Points: pts, At: at})
		}
	}
	for rows.Next() {
		var id string
		var lastUS, earned, avail, exp int64
		var l loyalty.Lot
		if err := rows.Scan(&id, &lastUS, &l.ID, &earned, &avail, &exp, &l.Remaining); err != nil {
			return nil, err
		}
		if id != cur {
			flush()
			cur, last, lots = id, fromUS(lastUS), nil
		}
		l.EarnedAt, l.AvailableAt, l.ExpiresAt = fromUS(earned), fromUS(avail), fromUS(exp)
		lots = append(lots, l)
	}
	flush()
	return out, rows.Err()
}

// LedgerTotals are program-wide aggregates (no member data).
type LedgerTotals struct {
	MembersPerTier map[string]int64
	// Available and Pending are unexpired outstanding points at the moment asked.
	Available, Pending int64
	// Earned (earn + bonus) and Redeemed points in the window.
	Earned, Redeemed int64
}

// Totals computes the aggregates at now; Earned and Redeemed count entries
// with occurred_at in (since, now].
func (p *Points) Totals(ctx context.Context, since, now time.Time) (LedgerTotals, error) {
	t := LedgerTotals{MembersPerTier: map[string]int64{}}
	perTier, err := QueryMap[int64](ctx, p.db, `SELECT tier, count(*) FROM points_members GROUP BY tier`)
	if err != nil {
		return t, err
	}
	t.MembersPerTier = perTier
	// Inactivity expiry: a member's lots lapse at last_activity + after, so
	// lots of members inactive since before cutoff count as lapsed.
	cutoff := int64(-1 << 62)
	if e := p.cfg.PointsExpiry; e != nil && e.Mode == loyalty.ExpiryInactivity {
		cutoff = us(now.Add(-e.After.Duration))
	}
	var avail, pend sql.NullInt64
	if err := p.db.QueryRow(ctx, `SELECT
			SUM(CASE WHEN l.available_at <= $1 THEN l.remaining ELSE 0 END),
			SUM(CASE WHEN l.available_at > $1 THEN l.remaining ELSE 0 END)
		FROM points_lots l JOIN points_members m ON m.member_id = l.member_id
		WHERE l.remaining > 0 AND (l.expires_at = 0 OR l.expires_at > $1) AND m.last_activity > $2`,
		us(now), cutoff).Scan(&avail, &pend); err != nil {
		return t, fmt.Errorf("outstanding points: %w", err)
	}
	t.Available, t.Pending = avail.Int64, pend.Int64
	var earned, redeemed sql.NullInt64
	if err := p.db.QueryRow(ctx, `SELECT
			SUM(CASE WHEN kind IN ('earn', 'bonus') THEN points ELSE 0 END),
			SUM(CASE WHEN kind = 'redeem' THEN -points ELSE 0 END)
		FROM points_entries WHERE occurred_at > $1 AND occurred_at <= $2`, us(since), us(now)).Scan(&earned, &redeemed); err != nil {
		return t, fmt.Errorf("earned and redeemed: %w", err)
	}
	t.Earned, t.Redeemed = earned.Int64, redeemed.Int64
	return t, nil
}

// ForEachBalance calls fn with every member's tier and available points at
// now (for the feature row: customer.Features.LoyaltyTier / LoyaltyPoints).
// Lapsed points do not count, as in Member.
func (p *Points) ForEachBalance(ctx context.Context, now time.Time, fn func(memberID, tier string, available int64) error) error {
	cutoff := int64(-1 << 62)
	if e := p.cfg.PointsExpiry; e != nil && e.Mode == loyalty.ExpiryInactivity {
		cutoff = us(now.Add(-e.After.Duration))
	}
	rows, err := p.db.Query(ctx, `SELECT m.member_id, m.tier, COALESCE(SUM(CASE WHEN m.last_activity > $2 THEN l.remaining ELSE 0 END), 0)
		FROM points_members m LEFT JOIN points_lots l ON l.member_id = m.member_id AND l.remaining > 0
			AND l.available_at <= $1 AND (l.expires_at = 0 OR l.expires_at > $1)
		GROUP BY m.member_id, m.tier ORDER BY m.member_id`, us(now), cutoff)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, tier string
		var avail int64
		if err := rows.Scan(&id, &tier, &avail); err != nil {
			return err
		}
		if err := fn(id, tier, avail); err != nil {
			return err
		}
	}
	return rows.Err()
}
