package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Shard leases let N identical replicas of one playbook's campaign worker
// (a Deployment: no per-pod index) split the customers without overlap.
// The playbook's customers are cut into Shards parts by hash
// (journey.Shard(id, Shards) = FNV-1a-64(id) mod 4096 mod Shards); a replica
// works only on the shards it holds a lease for. Each replica also keeps a
// heartbeat row, so every replica knows how many replicas are alive and
// takes at most its fair share:
//
//	target = ceil(Shards / live replicas)
//
// All claims of one playbook are serialised (PostgreSQL: a transaction-scoped
// advisory lock on the playbook; SQLite: the single-writer transaction), and
// a claim is a conditional UPDATE ... WHERE expires_at <= now OR holder = me,
// so two replicas never hold the same shard. Leases of a different shard
// count (the replica count changed) block claims until they expire or are
// released: shard i of 3 and shard j of 4 share customers.
var shardLeaseMigrations = []string{`
CREATE TABLE shard_leases (
	playbook   TEXT NOT NULL,
	shard      INTEGER NOT NULL,
	shards     INTEGER NOT NULL,
	holder     TEXT NOT NULL,
	expires_at BIGINT NOT NULL,
	PRIMARY KEY (playbook, shard)
);
CREATE TABLE shard_replicas (
	playbook   TEXT NOT NULL,
	holder     TEXT NOT NULL,
	expires_at BIGINT NOT NULL,
	PRIMARY KEY (playbook, holder)
)`}

// MigrateShardLeases creates or upgrades the lease tables.
func (db *DB) MigrateShardLeases(ctx context.Context) error {
	return db.Migrate(ctx, "shard-leases", shardLeaseMigrations)
}

// ShardLeaseRequest is one replica's renewal and claim round.
type ShardLeaseRequest struct {
	Playbook string
	// Shards is the number of shards (the playbook's replica count).
	Shards int
	// Holder identifies this replica (pod name).
	Holder string
	// Now and TTL: leases and the heartbeat are renewed until Now+TTL.
	Now time.Time
	TTL time.Duration
	// HeartbeatOnly announces the replica without claiming anything (a
	// starting replica waits a moment so replicas started together see each
	// other before the first claim and do not pass shards back and forth).
	HeartbeatOnly bool
}

// ErrLeaseLost is returned by JourneyTxLeased when the replica no longer
// holds the shard: nothing was written.
var ErrLeaseLost = errors.New("shard lease lost")

// ClaimShards renews the holder's heartbeat and leases, releases leases above
// its fair share, claims free or expired shards up to it, and returns the
// shards held afterwards (sorted) and the number of live replicas.
func (db *DB) ClaimShards(ctx context.Context, r ShardLeaseRequest) (held []int, live int, err error) {
	if r.Shards < 1 || r.Holder == "" || r.TTL <= 0 {
		return nil, 0, fmt.Errorf("claim shards of %s: need shards >= 1 (got %d), a holder id and a positive TTL", r.Playbook, r.Shards)
	}
	now, exp := ms(r.Now), ms(r.Now.Add(r.TTL))
	tx, err := db.Begin(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("claim shards of %s: %w", r.Playbook, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if db.Dialect == Postgres {
		// The two-key form is a lock space of its own: it can never collide
		// with the one-key customer locks of JourneyTx.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('shard_leases'), hashtext($1))`, r.Playbook); err != nil {
			return nil, 0, fmt.Errorf("claim shards of %s: lock: %w", r.Playbook, err)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO shard_replicas (playbook, holder, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (playbook, holder) DO UPDATE SET expires_at = excluded.expires_at`, r.Playbook, r.Holder, exp); err != nil {
		return nil, 0, fmt.Errorf("claim shards of %s: heartbeat: %w", r.Playbook, err)
	}
	if r.HeartbeatOnly {
		return nil, 0, tx.Commit()
	}
	if _, err := tx.Exec(ctx, `DELETE FROM shard_replicas WHERE playbook = $1 AND expires_at <= $2`, r.Playbook, now); err != nil {
		return nil, 0, fmt.Errorf("claim shards of %s: %w", r.Playbook, err)
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM shard_replicas WHERE playbook = $1`, r.Playbook).Scan(&live); err != nil {
		return nil, 0, fmt.Errorf("claim shards of %s: count replicas: %w", r.Playbook, err)
	}
	var foreign int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM shard_leases WHERE playbook = $1 AND shards <> $2 AND expires_at > $3`,
		r.Playbook, r.Shards, now).Scan(&foreign); err != nil {
		return nil, 0, fmt.Errorf("claim shards of %s: %w", r.Playbook, err)
	}
	if foreign > 0 {
		// Replicas of the previous shard count are still working: hold
		// nothing until their leases end (no overlapping partitions).
		if _, err := tx.Exec(ctx, `UPDATE shard_leases SET expires_at = 0 WHERE playbook = $1 AND holder = $2`, r.Playbook, r.Holder); err != nil {
			return nil, 0, err
		}
		return nil, live, tx.Commit()
	}
	for s := 0; s < r.Shards; s++ {
		if _, err := tx.Exec(ctx, `INSERT INTO shard_leases (playbook, shard, shards, holder, expires_at) VALUES ($1, $2, $3, '', 0)
			ON CONFLICT (playbook, shard) DO NOTHING`, r.Playbook, s, r.Shards); err != nil {
			return nil, 0, fmt.Errorf("claim shards of %s: %w", r.Playbook, err)
		}
	}
	// Renew what is still ours.
	if _, err := tx.Exec(ctx, `UPDATE shard_leases SET expires_at = $1 WHERE playbook = $2 AND holder = $3 AND shards = $4
		AND shard < $4 AND expires_at > $5`, exp, r.Playbook, r.Holder, r.Shards, now); err != nil {
		return nil, 0, fmt.Errorf("renew shard leases of %s: %w", r.Playbook, err)
	}
	held, err = heldShards(ctx, tx, r.Playbook, r.Holder, r.Shards, now)
	if err != nil {
		return nil, 0, err
	}
	target := (r.Shards + max(live, 1) - 1) / max(live, 1)
	for len(held) > target {
		// Give back the highest shards so a newly started replica finds work.
		s := held[len(held)-1]
		if _, err := tx.Exec(ctx, `UPDATE shard_leases SET holder = '', expires_at = 0 WHERE playbook = $1 AND shard = $2 AND holder = $3`,
			r.Playbook, s, r.Holder); err != nil {
			return nil, 0, fmt.Errorf("release shard %d of %s: %w", s, r.Playbook, err)
		}
		held = held[:len(held)-1]
	}
	for s := 0; s < r.Shards && len(held) < target; s++ {
		res, err := tx.Exec(ctx, `UPDATE shard_leases SET holder = $1, shards = $2, expires_at = $3
			WHERE playbook = $4 AND shard = $5 AND (expires_at <= $6 OR holder = $1)`, r.Holder, r.Shards, exp, r.Playbook, s, now)
		if err != nil {
			return nil, 0, fmt.Errorf("claim shard %d of %s: %w", s, r.Playbook, err)
		}
		if n, _ := res.RowsAffected(); n == 1 && !contains(held, s) {
			held = append(held, s)
		}
	}
	sort.Ints(held)
	return held, live, tx.Commit()
}

func heldShards(ctx context.Context, tx *Tx, playbook, holder string, shards int, now int64) ([]int, error) {
	out, err := queryColumn[int](ctx, tx, `SELECT shard FROM shard_leases WHERE playbook = $1 AND holder = $2 AND shards = $3
		AND shard < $3 AND expires_at > $4 ORDER BY shard`, playbook, holder, shards, now)
	if err != nil {
		return nil, fmt.Errorf("held shards of %s: %w", playbook, err)
	}
	return out, nil
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// ReleaseShards gives up every lease and the heartbeat of holder (graceful
// shutdown), so other replicas take the shards over at once.
func (db *DB) ReleaseShards(ctx context.Context, playbook, holder string) error {
	if _, err := db.Exec(ctx, `UPDATE shard_leases SET holder = '', expires_at = 0 WHERE playbook = $1 AND holder = $2`,
		playbook, holder); err != nil {
		return fmt.Errorf("release shard leases of %s: %w", playbook, err)
	}
	if _, err := db.Exec(ctx, `DELETE FROM shard_replicas WHERE playbook = $1 AND holder = $2`, playbook, holder); err != nil {
		return fmt.Errorf("release heartbeat of %s: %w", playbook, err)
	}
	return nil
}

// ShardLease names the lease a guarded transaction must still hold.
type ShardLease struct {
	Playbook      string
	Shard, Shards int
	Holder        string
	// Now is compared with the lease's expiry (the same clock that renews it).
	Now func() time.Time
}

// beginLeased begins a transaction and checks in it that lease is still
// held (ErrLeaseLost otherwise); a nil lease skips the check. what names the
// write in a failure to begin.
func (db *DB) beginLeased(ctx context.Context, lease *ShardLease, what string) (*Tx, error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if lease != nil {
		if err := checkLease(ctx, tx, lease); err != nil {
			tx.Rollback() //nolint:errcheck // the lease error is the one to report
			return nil, err
		}
	}
	return tx, nil
}

// checkLease verifies inside tx that l is still held. On PostgreSQL the row
// is read FOR SHARE: a competing claim (an UPDATE of the row) waits until
// this transaction ends, so the lease cannot change hands between the check
// and the commit. SQLite transactions are exclusive already.
func checkLease(ctx context.Context, tx *Tx, l *ShardLease) error {
	q := `SELECT holder, shards, expires_at FROM shard_leases WHERE playbook = $1 AND shard = $2`
	if tx.db.Dialect == Postgres {
		q += ` FOR SHARE`
	}
	var holder string
	var shards int
	var exp int64
	err := tx.QueryRow(ctx, q, l.Playbook, l.Shard).Scan(&holder, &shards, &exp)
	if err != nil {
		if noRows(err) {
			return fmt.Errorf("%w: shard %d of %s has no lease row", ErrLeaseLost, l.Shard, l.Playbook)
		}
		return fmt.Errorf("check shard lease: %w", err)
	}
	if holder != l.Holder || shards != l.Shards || exp <= ms(l.Now()) {
		return fmt.Errorf("%w: shard %d/%d of %s", ErrLeaseLost, l.Shard, l.Shards, l.Playbook)
	}
	return nil
}
