package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// variantMigrations record which variant each ledger row sent and which
// variant a step promoted. The variant lives beside the ledger row, keyed by
// its idempotency key and written in the same transaction, rather than as a
// ledger column: the ledger's columns and its erasure rules are untouched,
// and this table holds no customer data (a hashed key and names from the
// spec). A separate migration set, so it never reorders the ledger's own.
var variantMigrations = []string{`
CREATE TABLE delivery_variants (
	idempotency_key TEXT PRIMARY KEY,
	playbook        TEXT NOT NULL,
	step            TEXT NOT NULL,
	variant         TEXT NOT NULL
);
CREATE INDEX delivery_variants_step ON delivery_variants (playbook, step, variant);
CREATE TABLE variant_promotions (
	playbook    TEXT NOT NULL,
	step        TEXT NOT NULL,
	variant     TEXT NOT NULL,
	promoted_at BIGINT NOT NULL,
	PRIMARY KEY (playbook, step)
)`}

const variantCols = 4

// insertDeliveryVariants records the variant of each row that has one; a
// replayed key keeps its first variant, like the ledger row itself.
func insertDeliveryVariants(ctx context.Context, tx *Tx, ds []Delivery) error {
	var args []any
	for _, d := range ds {
		if d.Variant != "" {
			args = append(args, d.Key, d.Playbook, d.Step, d.Variant)
		}
	}
	rows := len(args) / variantCols
	for _, c := range chunkRows(rows, variantCols) {
		part := args[c[0]*variantCols : c[1]*variantCols]
		if _, err := tx.Exec(ctx, `INSERT INTO delivery_variants (idempotency_key, playbook, step, variant) VALUES `+
			valuesList(c[1]-c[0], variantCols)+` ON CONFLICT (idempotency_key) DO NOTHING`, part...); err != nil {
			return fmt.Errorf("write delivery variants: %w", err)
		}
	}
	return nil
}

// VariantTally is one variant's figures from the ledger: messages sent, and
// how many of them went to a customer whose journey then reached the goal
// (converted at or after the send).
type VariantTally struct {
	Step        string
	Variant     string
	Sends       int64
	Conversions int64
}

// VariantTallies counts the playbook's sent messages and conversions per
// step and variant, all shards. Only sent rows count: pending and failed
// messages reached nobody.
func (db *DB) VariantTallies(ctx context.Context, playbook string) ([]VariantTally, error) {
	out, err := queryRows(ctx, db, func(rows *sql.Rows, t *VariantTally) error {
		return rows.Scan(&t.Step, &t.Variant, &t.Sends, &t.Conversions)
	}, `SELECT v.step, v.variant, count(*),
		COALESCE(sum(CASE WHEN j.converted = 1 AND j.converted_at >= d.created_at THEN 1 ELSE 0 END), 0)
		FROM delivery_variants v
		JOIN delivery_ledger d ON d.idempotency_key = v.idempotency_key
		LEFT JOIN journey_states j ON j.playbook = d.playbook AND j.customer_id = d.customer_id
		WHERE v.playbook = $1 AND d.status = 'sent'
		GROUP BY v.step, v.variant ORDER BY v.step, v.variant`, playbook)
	if err != nil {
		return nil, fmt.Errorf("count variant figures: %w", err)
	}
	return out, nil
}

// Promotion is a step's promoted variant and when it won.
type Promotion struct {
	Variant string
	At      time.Time
}

// PromoteVariant records variant as the winner of the playbook's step at
// at, unless the step has a winner already: the first promotion stands (two
// replicas deciding at once agree on whichever committed first). It returns
// the promotion the store holds.
func (db *DB) PromoteVariant(ctx context.Context, playbook, step, variant string, at time.Time) (Promotion, error) {
	if _, err := db.Exec(ctx, `INSERT INTO variant_promotions (playbook, step, variant, promoted_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (playbook, step) DO NOTHING`, playbook, step, variant, ms(at)); err != nil {
		return Promotion{}, fmt.Errorf("promote variant: %w", err)
	}
	ps, err := db.VariantPromotions(ctx, playbook)
	return ps[step], err
}

// VariantPromotions returns the playbook's promoted variants by step name.
func (db *DB) VariantPromotions(ctx context.Context, playbook string) (map[string]Promotion, error) {
	rows, err := db.Query(ctx, `SELECT step, variant, promoted_at FROM variant_promotions WHERE playbook = $1`, playbook)
	if err != nil {
		return nil, fmt.Errorf("load variant promotions: %w", err)
	}
	defer rows.Close()
	out := map[string]Promotion{}
	for rows.Next() {
		var step string
		var p Promotion
		var at int64
		if err := rows.Scan(&step, &p.Variant, &at); err != nil {
			return nil, fmt.Errorf("load variant promotions: %w", err)
		}
		p.At = fromMS(at)
		out[step] = p
	}
	return out, rows.Err()
}
