package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/internal/loyalty"
)

// Ledger entry kinds. Every entry has a unique source key so that replaying
// the same order, event or request credits or debits once.
const (
	KindEarn    = "earn"    // order points; source "order:<orderID>"
	KindBonus   = "bonus"   // event bonus; source "event:<eventKey>"
	KindRedeem  = "redeem"  // reward; request key: the Idempotency-Key (unique per member)
	KindExpire  = "expire"  // lapse of one lot; source "expire:<lotID>"
	KindAdjust  = "adjust"  // admin correction; request key: the Idempotency-Key (unique per member)
	KindReverse = "reverse" // refund; source "refund:<eventKey>" or "order:<orderID>" for negative orders
)

// entryKey is what makes an entry idempotent: a source row (source_key,
// unique across the ledger) or a client request (request_key, unique per
// member and kind, in its own column so no two members' keys can meet).
// Exactly one of the two is set.
type entryKey struct {
	source  string
	request string
}

func sourceKey(s string) entryKey  { return entryKey{source: s} }
func requestKey(k string) entryKey { return entryKey{request: k} }

// errRequestRaced: a request's entry was committed by a concurrent request
// with the same key after this transaction looked for it (PostgreSQL's READ
// COMMITTED lock wait does not re-read the joined entry). The caller retries
// in a new transaction, which finds the entry and replays its answer.
var errRequestRaced = errors.New("request recorded concurrently")

// Errors the API maps to status codes.
var (
	ErrUnknownMember      = errors.New("unknown member")
	ErrInsufficientPoints = errors.New("insufficient points")
	ErrIdempotencyReuse   = errors.New("idempotency key already used for a different request")
)

// InsufficientError carries the balance a refused debit saw.
type InsufficientError struct{ Available, Needed int64 }

func (e *InsufficientError) Error() string {
	return fmt.Sprintf("insufficient points: %d available, %d needed", e.Available, e.Needed)
}

// Unwrap lets errors.Is(err, ErrInsufficientPoints) match.
func (e *InsufficientError) Unwrap() error { return ErrInsufficientPoints }

// Points is the loyalty points ledger: append-only entries, earn lots with
// remaining amounts, per-member tier state, and tier changes. All balance
// changes for a member happen inside one transaction that holds that member's
// row lock (PostgreSQL: SELECT ... FOR UPDATE; SQLite: BEGIN IMMEDIATE, which
// store.Open sets), so concurrent redemptions can never overspend.
type Points struct {
	db  *DB
	cfg *loyalty.Config
}

// OpenPoints migrates the ledger tables and returns the ledger for cfg (which
// must already be validated).
func OpenPoints(ctx context.Context, db *DB, cfg *loyalty.Config) (*Points, error) {
	// Enrolment reads the erasure list (lockMember).
	if err := db.migrateInOrder(ctx, (*DB).migratePoints, (*DB).MigrateErasure); err != nil {
		return nil, err
	}
	return &Points{db: db, cfg: cfg}, nil
}

// Config is the program the ledger applies.
func (p *Points) Config() *loyalty.Config { return p.cfg }

// DB returns the underlying database (for readiness checks).
func (p *Points) DB() *DB { return p.db }

// memberTx is one transaction holding a member's lock, with the member's open
// lots loaded and already-lapsed points expired.
type memberTx struct {
	tx    *Tx
	p     *Points
	id    string
	now   time.Time
	state loyalty.TierState
	last  time.Time // last activity
	lots  []loyalty.Lot
	prior *priorEntry // entry under the probed source key, if any
}

// withMember runs fn in a transaction that holds memberID's lock. With create,
// an unknown member is enrolled at enrollAt first; without, ErrUnknownMember.
// fn returning errSkip commits nothing and returns nil.
func (p *Points) withMember(ctx context.Context, memberID string, create bool, enrollAt, now time.Time, fn func(m *memberTx) error) error {
	return p.lockMember(ctx, memberID, create, enrollAt, "", "", now, fn)
}

// priorEntry is an entry already recorded under a request's key (kind and Idempotency-Key).
type priorEntry struct {
	id, points, balanceAfter int64
	ref, reason              string
	recordedAt               time.Time
}

// lockMember is withMember that also looks up the member's entry of kind
// recorded under request key probe (an Idempotency-Key; "" for none) in the
// same round trip as the lock, because redemptions are the hot path. The
// result is in m.prior (nil: none).
func (p *Points) lockMember(ctx context.Context, memberID string, create bool, enrollAt time.Time, kind, probe string, now time.Time, fn func(m *memberTx) error) error {
	tx, err := p.db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if create {
		// An erased customer is not enrolled again by a row read from a
		// source that still holds them (checked in this transaction, so an
		// erasure committed meanwhile is seen; one that comes later waits).
		erased, err := erasedAmong(ctx, tx, []string{memberID})
		if err != nil {
			return err
		}
		if erased[memberID] {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO points_members (member_id, enrolled_at) VALUES ($1, $2)
			ON CONFLICT (member_id) DO NOTHING`, memberID, us(enrollAt)); err != nil {
			return fmt.Errorf("enroll member: %w", err)
		}
	}
	q := lockMemberSQL
	if p.db.Dialect == Postgres {
		q = lockMemberForUpdateSQL
	}
	m := &memberTx{tx: tx, p: p, id: memberID, now: now}
	if err := m.scanMember(tx.QueryRow(ctx, q, memberID, kind, probe), probe); err != nil {
		return err
	}
	if m.lots, err = loadLots(ctx, tx, memberID); err != nil {
		return err
	}
	if err := m.expire(ctx); err != nil {
		return err
	}
	if err := fn(m); err != nil {
		if errors.Is(err, errSkip) {
			return nil
		}
		return err
	}
	return tx.Commit()
}

// errSkip ends withMember without committing (nothing to do).
var errSkip = errors.New("skip")

func loadLots(ctx context.Context, q querier, memberID string) ([]loyalty.Lot, error) {
	rows, err := q.Query(ctx, openLotsSQL, memberID)
	if err != nil {
		return nil, fmt.Errorf("load lots: %w", err)
	}
	defer rows.Close()
	return scanLots(rows)
}

// take deducts planned points from lots, in the DB and in memory.
func (m *memberTx) take(ctx context.Context, takes []loyalty.Take) error {
	for _, t := range takes {
		if _, err := m.tx.Exec(ctx, `UPDATE points_lots SET remaining = remaining - $1 WHERE id = $2`, t.Points, t.LotID); err != nil {
			return fmt.Errorf("deduct lot %d: %w", t.LotID, err)
		}
	}
	m.deduct(takes)
	return nil
}

// deduct applies planned takes to the lots in memory (the caller writes them).
func (m *memberTx) deduct(takes []loyalty.Take) {
	for _, t := range takes {
		for i := range m.lots {
			if m.lots[i].ID == t.LotID {
				m.lots[i].Remaining -= t.Points
			}
		}
	}
}

// expire lapses what the expiry policy says has lapsed at now, oldest lot
// first, one expire entry per lot (partly spent lots lapse with their rest).
func (m *memberTx) expire(ctx context.Context) error {
	takes := m.p.cfg.ExpiredAt(m.lots, m.last, m.now)
	if len(takes) == 0 {
		return nil
	}
	deadline := m.p.cfg.InactivityDeadline(m.last)
	for _, t := range takes {
		at := deadline
		for _, l := range m.lots {
			if l.ID == t.LotID && !l.ExpiresAt.IsZero() {
				at = l.ExpiresAt
			}
		}
		if _, err := m.insertEntry(ctx, KindExpire, sourceKey(fmt.Sprintf("expire:%d", t.LotID)), -t.Points, 0, "", "expired", 0, at); err != nil {
			return err
		}
	}
	return m.take(ctx, takes)
}

// insertEntry appends a ledger entry; id is 0 when its key was already
// recorded (a replay), in which case nothing else must change. The conflict
// target is left implicit: it is source_key or (member_id, kind, request_key),
// whichever key is set.
func (m *memberTx) insertEntry(ctx context.Context, kind string, key entryKey, points int64, amount float64, ref, reason string, balanceAfter int64, occurred time.Time) (id int64, err error) {
	err = m.tx.QueryRow(ctx, `INSERT INTO points_entries
		(member_id, kind, source_key, request_key, points, amount, ref, reason, balance_after, occurred_at, recorded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT DO NOTHING RETURNING id`,
		m.id, kind, nullable(key.source), nullable(key.request), points, amount, ref, reason, balanceAfter, us(occurred), us(m.now)).Scan(&id)
	if noRows(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("append %s entry: %w", kind, err)
	}
	return id, nil
}

// addLot opens a lot for a credit that happened at occurred: available after
// the pending period, lapsing per the fixed-expiry policy.
func (m *memberTx) addLot(ctx context.Context, entryID, points int64, occurred time.Time, pending bool) error {
	if points <= 0 {
		return nil
	}
	avail := occurred
	if pending {
		avail = occurred.Add(m.p.cfg.PendingPeriod.Duration)
	}
	exp := m.p.cfg.LotExpiry(avail)
	var id int64
	if err := m.tx.QueryRow(ctx, `INSERT INTO points_lots (member_id, entry_id, earned_at, available_at, expires_at, original, remaining)
		VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, m.id, entryID, us(occurred), us(avail), us(exp), points).Scan(&id); err != nil {
		return fmt.Errorf("open lot: %w", err)
	}
	m.lots = append(m.lots, loyalty.Lot{ID: id, EarnedAt: occurred, AvailableAt: avail, ExpiresAt: exp, Remaining: points})
	return nil
}

// touch records activity at t (inactivity expiry counts from the latest).
func (m *memberTx) touch(ctx context.Context, t time.Time) error {
	if !t.After(m.last) {
		return nil
	}
	m.last = t
	_, err := m.tx.Exec(ctx, `UPDATE points_members SET last_activity = $1 WHERE member_id = $2`, us(t), m.id)
	return err
}

// available is the member's spendable balance at now.
func (m *memberTx) available() int64 {
	a, _ := loyalty.Balance(m.lots, m.now)
	return a
}

// nullable stores "" as NULL (unique columns hold many NULLs, not many "").
func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// balance is the member's available plus pending points at now (what a
// credit is bounded against).
func (m *memberTx) balance() int64 {
	a, p := loyalty.Balance(m.lots, m.now)
	return a + p
}
