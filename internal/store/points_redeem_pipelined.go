package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/retention-dev/retention-operator/internal/loyalty"
)

// redeemWriteSQL records a redemption in one statement: it appends the
// entry and, only if the entry was appended (not already recorded under the
// key by a racing request, errRequestRaced), deducts the lots ($8 lot ids,
// $9 points) and records the activity. Data-modifying WITH parts always run
// to completion, each gated on the entry's RETURNING row.
const redeemWriteSQL = `WITH entry AS (
	INSERT INTO points_entries (member_id, kind, request_key, points, ref, balance_after, occurred_at, recorded_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
	ON CONFLICT DO NOTHING RETURNING id
), lots AS (
	UPDATE points_lots l SET remaining = l.remaining - t.points
	FROM unnest($8::bigint[], $9::bigint[]) AS t(id, points)
	WHERE l.id = t.id AND EXISTS (SELECT FROM entry)
), activity AS (
	UPDATE points_members SET last_activity = $7
	WHERE member_id = $1 AND last_activity < $7 AND EXISTS (SELECT FROM entry)
)
SELECT id FROM entry`

// genericPlansSQL makes this transaction's prepared statements run their
// generic plan. PostgreSQL otherwise keeps planning redeemWriteSQL afresh on
// every execution (a custom plan for the array parameters' actual length
// always looks cheaper than the generic one): a CPU profile of the
// redemption load showed planning at about a quarter of PostgreSQL's time.
// The plans are the obvious ones (primary key and unique index lookups),
// whatever the parameters. SET LOCAL ends with the transaction, so the
// pooled session's other queries keep the server's setting.
const genericPlansSQL = `SET LOCAL plan_cache_mode = force_generic_plan`

// redeemPipelined is Redeem on PostgreSQL in two network round trips, where
// redeemTx waits for seven answers in turn (BEGIN, lock, lots, lot update,
// entry, activity, COMMIT): redemptions are the API's hot path, and on a
// loaded machine each round trip is two context switches and a wake-up of a
// PostgreSQL backend. It is the same transaction as redeemTx:
//
//	round trip 1, one pgx pipeline: BEGIN; genericPlansSQL; lock the member row and probe the
//	  Idempotency-Key (lockMemberForUpdateSQL); read the open lots
//	round trip 2: redeemWriteSQL; COMMIT
//
// The row lock is taken before the lots are read (the statements run in
// order; READ COMMITTED reads the lots after any lock wait) and held until
// COMMIT, so concurrent redemptions on one member serialize and never
// overspend. The decisions are redeemTx's (checkRedeem, planDebit,
// recheckRefusal: a refusal costs one more round trip). A member with lapsed
// lots takes redeemTx, which writes their expiry first.
func (p *Points) redeemPipelined(ctx context.Context, memberID, reward string, cost int64, key string, now time.Time) (r Redemption, replayed bool, err error) {
	conn, err := p.db.Conn(ctx)
	if err != nil {
		return r, false, err
	}
	var fallback bool
	err = conn.Raw(func(driverConn any) error {
		dc, ok := driverConn.(*stdlib.Conn)
		if !ok { // not pgx's database/sql driver: no pipelines
			fallback = true
			return nil
		}
		return retryRaced(KindRedeem, func() error {
			var err error
			r, replayed, fallback, err = p.redeemOnce(ctx, dc.Conn(), memberID, reward, cost, key, now)
			return err
		})
	})
	conn.Close() // before redeemTx takes a connection: never hold two per request
	if fallback {
		return p.redeemTx(ctx, memberID, reward, cost, key, now)
	}
	return r, replayed, err
}

// rollbackTimeout bounds the ROLLBACK of an attempt that did not commit.
const rollbackTimeout = 5 * time.Second

// redeemOnce is one attempt of redeemPipelined on c. fallback: nothing was
// done because lots lapsed; use redeemTx.
func (p *Points) redeemOnce(ctx context.Context, c *pgx.Conn, memberID, reward string, cost int64, key string, now time.Time) (r Redemption, replayed, fallback bool, err error) {
	defer func() {
		if c.PgConn().TxStatus() != 'I' { // not committed: leave no transaction open on a pooled connection
			// Even when the request was cancelled, bounded: a connection that
			// cannot roll back is closed by pgx and dropped by the pool.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
			defer cancel()
			if _, rerr := c.Exec(rctx, "ROLLBACK"); rerr != nil && err == nil {
				err = rerr
			}
		}
	}()
	m := &memberTx{p: p, id: memberID, now: now}
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(genericPlansSQL)
	b.Queue(lockMemberForUpdateSQL, memberID, KindRedeem, key)
	b.Queue(openLotsSQL, memberID)
	if err := m.readLocked(c.SendBatch(ctx, b), key); err != nil {
		return r, false, false, err
	}
	if len(p.cfg.ExpiredAt(m.lots, m.last, now)) > 0 {
		return r, false, true, nil
	}
	prior, err := p.checkRedeem(m, reward)
	var takes []loyalty.Take
	if prior == nil && err == nil {
		takes, err = m.planDebit(cost)
	}
	if isRefusal(err) { // one more round trip, on refusals only
		prior, err = p.recheckRefusal(m, c.QueryRow(ctx, probeEntrySQL, memberID, KindRedeem, key), reward, err)
	}
	if prior != nil {
		return *prior, true, false, nil
	}
	if err != nil {
		return r, false, false, err
	}
	m.deduct(takes)
	after := m.available()
	lotIDs, points := takeColumns(takes)

	b = &pgx.Batch{}
	b.Queue(redeemWriteSQL, memberID, KindRedeem, key, -cost, reward, after, us(now), lotIDs, points)
	b.Queue("COMMIT")
	br := c.SendBatch(ctx, b)
	var id int64
	idErr := br.QueryRow().Scan(&id)
	_, commitErr := br.Exec()
	if err := br.Close(); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return r, false, false, fmt.Errorf("record redemption: %w", err)
	}
	switch {
	case errors.Is(idErr, pgx.ErrNoRows):
		return r, false, false, errRequestRaced // the statement wrote nothing; the retry replays the racer's answer
	case idErr != nil:
		return r, false, false, fmt.Errorf("record redemption: %w", idErr)
	case commitErr != nil:
		return r, false, false, fmt.Errorf("commit redemption: %w", commitErr)
	}
	return Redemption{ID: id, Reward: reward, Points: cost, Available: after, RedeemedAt: now}, false, false, nil
}

// readLocked reads the results of BEGIN, genericPlansSQL, lockMemberForUpdateSQL and
// openLotsSQL into m.
func (m *memberTx) readLocked(br pgx.BatchResults, probe string) (err error) {
	defer func() {
		if cerr := br.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("lock member: %w", cerr)
		}
	}()
	for range 2 { // BEGIN, genericPlansSQL
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
	}
	if err := m.scanMember(br.QueryRow(), probe); err != nil {
		return err
	}
	rows, err := br.Query()
	if err != nil {
		return fmt.Errorf("load lots: %w", err)
	}
	defer rows.Close()
	if m.lots, err = scanLots(rows); err != nil {
		return fmt.Errorf("load lots: %w", err)
	}
	return nil
}

// takeColumns splits takes into the two arrays redeemWriteSQL unnests.
func takeColumns(takes []loyalty.Take) (lotIDs, points []int64) {
	for _, t := range takes {
		lotIDs, points = append(lotIDs, t.LotID), append(points, t.Points)
	}
	return lotIDs, points
}
