package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/retention-dev/retention-operator/internal/loyalty"
)

// The reads that start every member transaction, shared by lockMember
// (database/sql, both dialects) and redeemPipelined (pgx, PostgreSQL).
const (
	// lockMemberSQL reads the member's tier state and, in the same round
	// trip, the entry of kind $2 recorded under request key $3 (if any).
	lockMemberSQL = `SELECT m.tier, m.below_since, m.last_activity, e.id, e.points, e.balance_after, e.ref, e.reason, e.recorded_at
		FROM points_members m LEFT JOIN points_entries e ON e.member_id = m.member_id AND e.kind = $2 AND e.request_key = $3
		WHERE m.member_id = $1`
	// lockMemberForUpdateSQL also takes the member's row lock (PostgreSQL;
	// SQLite's BEGIN IMMEDIATE locks the whole database instead).
	lockMemberForUpdateSQL = lockMemberSQL + ` FOR UPDATE OF m`
	// openLotsSQL lists the member's lots with points left, oldest first.
	openLotsSQL = `SELECT id, earned_at, available_at, expires_at, remaining FROM points_lots
		WHERE member_id = $1 AND remaining > 0 ORDER BY earned_at, id`
)

// rowScanner is a *sql.Row or a pgx.Row.
type rowScanner interface{ Scan(dest ...any) error }

// scanMember fills m's tier state and, when probe is set, m.prior from a
// lockMemberSQL row.
func (m *memberTx) scanMember(row rowScanner, probe string) error {
	var below, last int64
	var pid, ppoints, pbal, prec sql.NullInt64
	var pref, preason sql.NullString
	if err := row.Scan(&m.state.Tier, &below, &last, &pid, &ppoints, &pbal, &pref, &preason, &prec); err != nil {
		if noRows(err) || errors.Is(err, pgx.ErrNoRows) {
			return ErrUnknownMember
		}
		return fmt.Errorf("lock member: %w", err)
	}
	m.state.BelowSince, m.last = fromUS(below), fromUS(last)
	if pid.Valid && probe != "" {
		m.prior = &priorEntry{id: pid.Int64, points: ppoints.Int64, balanceAfter: pbal.Int64,
			ref: pref.String, reason: preason.String, recordedAt: fromUS(prec.Int64)}
	}
	return nil
}

// lotRows is *sql.Rows or pgx.Rows, as far as scanLots reads them.
type lotRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// scanLots reads openLotsSQL rows.
func scanLots(rows lotRows) ([]loyalty.Lot, error) {
	var lots []loyalty.Lot
	for rows.Next() {
		var l loyalty.Lot
		var earned, avail, exp int64
		if err := rows.Scan(&l.ID, &earned, &avail, &exp, &l.Remaining); err != nil {
			return nil, err
		}
		l.EarnedAt, l.AvailableAt, l.ExpiresAt = fromUS(earned), fromUS(avail), fromUS(exp)
		lots = append(lots, l)
	}
	return lots, rows.Err()
}

// probeEntrySQL reads the entry of kind $2 recorded under request key $3 for
// member $1, in a statement of its own: run after the row lock is held, it
// sees what a request that held the lock before committed, which
// lockMemberSQL's join does not when its row-lock wait was for that request
// (READ COMMITTED re-reads only the locked row after the wait).
const probeEntrySQL = `SELECT id, points, balance_after, ref, reason, recorded_at FROM points_entries
	WHERE member_id = $1 AND kind = $2 AND request_key = $3`

// scanPrior reads a probeEntrySQL row; nil when the key has no entry.
func scanPrior(row rowScanner) (*priorEntry, error) {
	var e priorEntry
	var rec int64
	err := row.Scan(&e.id, &e.points, &e.balanceAfter, &e.ref, &e.reason, &rec)
	if noRows(err) || errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("probe request key: %w", err)
	}
	e.recordedAt = fromUS(rec)
	return &e, nil
}
