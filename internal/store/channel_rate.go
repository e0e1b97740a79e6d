package store

import (
	"context"
	"fmt"
	"time"
)

// channelRateMigrations hold one token bucket per Channel, shared by every
// replica of every playbook that sends through it, so the Channel's
// perSecond is the real rate and not perSecond x playbooks x replicas.
// tokens may go negative: each send reserves a token and waits until the
// bucket has refilled to it. updated_us is Unix microseconds.
var channelRateMigrations = []string{`
CREATE TABLE channel_rate_buckets (
	bucket_key TEXT PRIMARY KEY,
	tokens     DOUBLE PRECISION NOT NULL,
	updated_us BIGINT NOT NULL
)`}

// MigrateChannelRates creates or upgrades the shared rate-limit table.
func (db *DB) MigrateChannelRates(ctx context.Context) error {
	return db.Migrate(ctx, "channelRate", channelRateMigrations)
}

// The reservation is one statement, so it is atomic in both dialects
// without an explicit lock, and it reads the database's clock, so replicas
// whose clocks disagree share one time line: refill by the time elapsed
// since the last reservation (never negative), cap at burst, take one token,
// return what is left.
const (
	reserveTokenPostgres = `WITH now AS (SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1e6)::bigint AS us)
		INSERT INTO channel_rate_buckets (bucket_key, tokens, updated_us) SELECT $1, $2 - 1, now.us FROM now
		ON CONFLICT (bucket_key) DO UPDATE SET
			tokens = LEAST($2, channel_rate_buckets.tokens +
				GREATEST(0, excluded.updated_us - channel_rate_buckets.updated_us) * $3 / 1e6) - 1,
			updated_us = GREATEST(channel_rate_buckets.updated_us, excluded.updated_us)
		RETURNING tokens`
	reserveTokenSQLite = `INSERT INTO channel_rate_buckets (bucket_key, tokens, updated_us)
		SELECT $1, $2 - 1, CAST(unixepoch('subsec') * 1e6 AS INTEGER) WHERE true
		ON CONFLICT (bucket_key) DO UPDATE SET
			tokens = min($2, channel_rate_buckets.tokens +
				max(0, excluded.updated_us - channel_rate_buckets.updated_us) * $3 / 1e6) - 1,
			updated_us = max(channel_rate_buckets.updated_us, excluded.updated_us)
		RETURNING tokens`
)

// ReserveChannelToken takes one token from the bucket named key (refilled at
// perSecond up to burst) and returns how long the caller must wait before
// sending: 0 when a token was there, else until the bucket will have
// refilled to the reserved one.
func (db *DB) ReserveChannelToken(ctx context.Context, key string, perSecond float64, burst int) (time.Duration, error) {
	if perSecond <= 0 {
		return 0, nil
	}
	if burst < 1 {
		burst = 1
	}
	q := reserveTokenSQLite
	if db.Dialect == Postgres {
		q = reserveTokenPostgres
	}
	var left float64
	if err := db.QueryRow(ctx, q, key, float64(burst), perSecond).Scan(&left); err != nil {
		return 0, fmt.Errorf("channel rate limit %s: %w", key, err)
	}
	if left >= 0 {
		return 0, nil
	}
	return time.Duration(-left / perSecond * float64(time.Second)), nil
}
