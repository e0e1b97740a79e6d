package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/loyalty"
)

// Applied says what one order or event did to the ledger.
type Applied struct {
	Points    int64 // signed change to the member's points (0 for a replay)
	Duplicate bool  // the source key was already recorded
	Ignored   bool  // nothing to do (not a member, no bonus, unknown order)
	// Refused: the credit would take the member's balance past
	// loyalty.MaxBalance (an absurd amount); nothing was recorded.
	Refused bool
}

// enrolled reports whether customerID may earn at t, enrolling them first when
// the program has no opt-in event. It returns false for non-members.
func (p *Points) enrolled(ctx context.Context, customerID string, t time.Time) (bool, error) {
	if p.cfg.EnrollEventType == "" {
		return true, nil
	}
	var at int64
	err := p.db.QueryRow(ctx, `SELECT enrolled_at FROM points_members WHERE member_id = $1`, customerID).Scan(&at)
	if noRows(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return !t.Before(fromUS(at)), nil
}

// ApplyOrder credits an order (points = rounding(amount * pointsPerUnit *
// multiplier of the member's tier before this order), pending for the pending
// period), or, for a negative amount, takes back rounding(|amount| *
// pointsPerUnit) oldest lots first. Replaying an order changes nothing.
func (p *Points) ApplyOrder(ctx context.Context, o *customer.Order, now time.Time) (Applied, error) {
	var res Applied
	if o.CustomerID == "" || o.OrderID == "" {
		return res, fmt.Errorf("order without customer id or order id: both are needed for an idempotent ledger")
	}
	ok, err := p.enrolled(ctx, o.CustomerID, o.OccurredAt)
	if err != nil || !ok {
		res.Ignored = true
		return res, err
	}
	err = p.withMember(ctx, o.CustomerID, true, o.OccurredAt, now, func(m *memberTx) error {
		source := "order:" + o.OrderID
		// A non-finite amount has no points (its int64 conversion differs by
		// CPU); a huge one converts to an out-of-range value the bounds refuse.
		if math.IsNaN(o.Amount) || math.IsInf(o.Amount, 0) {
			res.Refused = true
			return errSkip
		}
		if o.Amount < 0 {
			pts := p.cfg.UnlinkedRefundPoints(o.Amount)
			if pts < 0 || pts > loyalty.MaxBalance {
				res.Refused = true
				return errSkip
			}
			return m.reverse(ctx, source, 0, pts, o.Amount, o.OrderID, "refund order", o.OccurredAt, &res)
		}
		pts := p.cfg.OrderPoints(o.Amount, m.state.Tier)
		return m.credit(ctx, "amount", KindEarn, source, pts, o.Amount, o.OrderID, o.OccurredAt, &res)
	})
	return res, err
}

// credit records pts earned at at under source as one entry and its lot
// (pending until available), unless the credit would pass the balance
// bound (Refused; field names the figure at fault) or source was recorded
// before (Duplicate); then the member's activity and tier follow.
func (m *memberTx) credit(ctx context.Context, field, kind, source string, pts int64, amount float64, ref string, at time.Time, res *Applied) error {
	if loyalty.CheckCredit(field, m.balance(), pts) != nil {
		res.Refused = true
		return errSkip
	}
	id, err := m.insertEntry(ctx, kind, sourceKey(source), pts, amount, ref, "", 0, at)
	if err != nil {
		return err
	}
	if id == 0 {
		res.Duplicate = true
		return errSkip
	}
	res.Points = pts
	if err := m.addLot(ctx, id, pts, at, true); err != nil {
		return err
	}
	if err := m.touch(ctx, at); err != nil {
		return err
	}
	return m.evaluateTier(ctx)
}

// EventKey is an event's idempotency key: Properties["id"] or
// Properties["eventId"] when the source has one, else customer, type and
// timestamp (to the nanosecond), plus the refunded order and amount.
func EventKey(e *customer.Event) string {
	for _, k := range []string{"id", "eventId"} {
		if v := e.Properties[k]; v != "" {
			return v
		}
	}
	return strings.Join([]string{e.CustomerID, e.Type, strconv.FormatInt(e.OccurredAt.UnixNano(), 10),
		e.Properties["orderId"], e.Properties["amount"]}, "|")
}

// ApplyEvent handles the enrollment event (opt-in programs), refund events
// (type "refund", Properties["orderId"], optional Properties["amount"]) and
// event bonuses. Replaying an event changes nothing.
func (p *Points) ApplyEvent(ctx context.Context, e *customer.Event, now time.Time) (Applied, error) {
	var res Applied
	if e.CustomerID == "" {
		return res, fmt.Errorf("event without customer id")
	}
	if p.cfg.EnrollEventType != "" && e.Type == p.cfg.EnrollEventType {
		err := p.withMember(ctx, e.CustomerID, true, e.OccurredAt, now, func(m *memberTx) error { return nil })
		return res, err
	}
	bonus := p.cfg.EventBonus(e.Type)
	if e.Type != loyalty.RefundEventType && bonus == 0 {
		res.Ignored = true
		return res, nil
	}
	ok, err := p.enrolled(ctx, e.CustomerID, e.OccurredAt)
	if err != nil || !ok {
		res.Ignored = true
		return res, err
	}
	key := EventKey(e)
	err = p.withMember(ctx, e.CustomerID, e.Type != loyalty.RefundEventType, e.OccurredAt, now, func(m *memberTx) error {
		if e.Type == loyalty.RefundEventType {
			return m.refund(ctx, "refund:"+key, e, &res)
		}
		return m.credit(ctx, "eventBonuses.points", KindBonus, "event:"+key, bonus, 0, e.Type, e.OccurredAt, &res)
	})
	if errors.Is(err, ErrUnknownMember) {
		res.Ignored = true
		return res, nil
	}
	return res, err
}

// refund reverses an order's points. Refunds are cumulative so that several
// partial refunds round consistently and never exceed the order:
//
//	before = refunded amount of earlier refunds of this order (capped at the order amount)
//	after  = before + this refund's amount (the rest of the order when no amount is given), capped
//	points = R(after) - R(before), R(x) = 0 for x <= 0 else RefundPoints(earned, orderAmount, x)
func (m *memberTx) refund(ctx context.Context, source string, e *customer.Event, res *Applied) error {
	orderID := e.Properties["orderId"]
	if orderID == "" {
		res.Ignored = true
		return errSkip
	}
	var entryID, earned int64
	var amount float64
	err := m.tx.QueryRow(ctx, `SELECT id, points, amount FROM points_entries WHERE source_key = $1 AND member_id = $2`,
		"order:"+orderID, m.id).Scan(&entryID, &earned, &amount)
	if noRows(err) {
		res.Ignored = true // an order this ledger never credited (before enrollment, or unknown)
		return errSkip
	}
	if err != nil {
		return err
	}
	var prev sql.NullFloat64
	if err := m.tx.QueryRow(ctx, `SELECT -SUM(amount) FROM points_entries
		WHERE kind = $1 AND ref = $2 AND member_id = $3 AND source_key LIKE 'refund:%'`, KindReverse, orderID, m.id).Scan(&prev); err != nil {
		return err
	}
	before := min(prev.Float64, amount)
	after := amount
	if s := e.Properties["amount"]; s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v <= 0 {
			res.Ignored = true // not a usable amount; the event is kept out of the ledger
			return errSkip
		}
		after = min(before+v, amount)
	}
	r := func(x float64) int64 {
		if x <= 0 {
			return 0
		}
		return m.p.cfg.RefundPoints(earned, amount, x)
	}
	var lotID int64
	_ = m.tx.QueryRow(ctx, `SELECT id FROM points_lots WHERE entry_id = $1`, entryID).Scan(&lotID) // none when the order earned 0
	return m.reverse(ctx, source, lotID, r(after)-r(before), -(after - before), orderID, "refund", e.OccurredAt, res)
}

// reverse takes back points (the refunded order's own lot first, then oldest
// lots), never below zero, and records the reverse entry with the points
// actually taken (the reason notes any shortfall: points already spent).
func (m *memberTx) reverse(ctx context.Context, source string, lotID, points int64, spend float64, orderID, reason string, at time.Time, res *Applied) error {
	takes, short := loyalty.PlanReversal(m.lots, lotID, points, m.now)
	taken := points - short
	if short > 0 {
		reason = fmt.Sprintf("%s (shortfall %d: already spent)", reason, short)
	}
	id, err := m.insertEntry(ctx, KindReverse, sourceKey(source), -taken, spend, orderID, reason, 0, at)
	if err != nil {
		return err
	}
	if id == 0 {
		res.Duplicate = true
		return errSkip
	}
	res.Points = -taken
	if err := m.take(ctx, takes); err != nil {
		return err
	}
	return m.evaluateTier(ctx)
}

// metric returns the member's qualifying totals at now, one query per
// distinct (basis, window). Points: earn + bonus + reverse entries; spend:
// order amounts net of refunds; both over (now - window, now].
func (m *memberTx) metric(ctx context.Context) (loyalty.Metric, error) {
	type key struct {
		basis  string
		window time.Duration
	}
	vals := map[key]float64{}
	for _, w := range m.p.cfg.Windows() {
		col := "points"
		if w.Basis == loyalty.BasisSpend {
			col = "amount"
		}
		var v sql.NullFloat64
		if err := m.tx.QueryRow(ctx, `SELECT SUM(`+col+`) FROM points_entries WHERE member_id = $1
			AND kind IN ('earn', 'bonus', 'reverse') AND occurred_at > $2 AND occurred_at <= $3`,
			m.id, us(m.now.Add(-w.Window)), us(m.now)).Scan(&v); err != nil {
			return nil, fmt.Errorf("qualifying %s: %w", w.Basis, err)
		}
		vals[key{w.Basis, w.Window}] = v.Float64
	}
	return func(basis string, window time.Duration) float64 { return vals[key{basis, window}] }, nil
}

// evaluateTier applies the tier rule at now and records any change.
func (m *memberTx) evaluateTier(ctx context.Context) error {
	if len(m.p.cfg.Tiers) == 0 {
		return nil
	}
	metric, err := m.metric(ctx)
	if err != nil {
		return err
	}
	next, change := m.p.cfg.DecideTier(m.state, m.p.cfg.QualifiedTier(metric), m.now)
	if next == m.state {
		return nil
	}
	if _, err := m.tx.Exec(ctx, `UPDATE points_members SET tier = $1, below_since = $2 WHERE member_id = $3`,
		next.Tier, us(next.BelowSince), m.id); err != nil {
		return err
	}
	m.state = next
	if change == nil {
		return nil
	}
	_, err = m.tx.Exec(ctx, `INSERT INTO points_tier_changes (member_id, from_tier, to_tier, direction, changed_at)
		VALUES ($1, $2, $3, $4, $5)`, m.id, change.From, change.To, change.Direction, us(change.At))
	return err
}

// Maintain runs the time-driven rules for every member at now: lapse expired
// points and re-evaluate tiers (downgrades after grace happen here). It
// returns how many members it visited.
func (p *Points) Maintain(ctx context.Context, now time.Time) (int, error) {
	ids, err := p.activeMemberIDs(ctx)
	if err != nil {
		return 0, err
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := p.withMember(ctx, id, false, now, now, func(m *memberTx) error { return m.evaluateTier(ctx) }); err != nil {
			return 0, fmt.Errorf("maintain member: %w", err)
		}
	}
	return len(ids), nil
}

// activeMemberIDs lists the members time can change: those holding a tier or
// unspent points (the rest have nothing to expire or downgrade).
func (p *Points) activeMemberIDs(ctx context.Context) ([]string, error) {
	return p.ids(ctx, `SELECT member_id FROM points_members m WHERE tier <> ''
		OR EXISTS (SELECT 1 FROM points_lots l WHERE l.member_id = m.member_id AND l.remaining > 0)`)
}

// MemberIDs lists every member id (for maintenance and the member/non-member split).
func (p *Points) MemberIDs(ctx context.Context) ([]string, error) {
	return p.ids(ctx, `SELECT member_id FROM points_members`)
}

func (p *Points) ids(ctx context.Context, query string) ([]string, error) {
	return queryColumn[string](ctx, p.db, query)
}

// Cursor reads the named ingest cursor (zero time when unset).
func (p *Points) Cursor(ctx context.Context, name string) (time.Time, error) {
	var at int64
	err := p.db.QueryRow(ctx, `SELECT at FROM points_cursors WHERE name = $1`, name).Scan(&at)
	if noRows(err) {
		return time.Time{}, nil
	}
	return fromUS(at), err
}

// SetCursor stores the named ingest cursor.
func (p *Points) SetCursor(ctx context.Context, name string, at time.Time) error {
	_, err := p.db.Exec(ctx, `INSERT INTO points_cursors (name, at) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET at = excluded.at`, name, us(at))
	return err
}
