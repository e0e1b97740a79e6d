package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// FeedbackKind is what a sending provider reported about an address.
type FeedbackKind string

// Feedback kinds. Hard bounces and complaints suppress at once; soft bounces
// only after SoftBouncePolicy.Limit of them inside its Window.
const (
	FeedbackHardBounce FeedbackKind = "hard-bounce"
	FeedbackSoftBounce FeedbackKind = "soft-bounce"
	FeedbackComplaint  FeedbackKind = "complaint"
)

// Suppression reasons: the keys under which suppressed sends are counted in
// the Playbook status's suppressed map.
const (
	SuppressedBounced    = "bounced"
	SuppressedComplained = "complained"
)

// The soft-bounce defaults, in one place: an address that soft-bounced
// DefaultSoftBounceLimit times within DefaultSoftBounceWindow is suppressed.
const (
	DefaultSoftBounceLimit  = 3
	DefaultSoftBounceWindow = 7 * 24 * time.Hour
)

// SoftBouncePolicy says when soft bounces suppress an address. Zero fields
// take the defaults above.
type SoftBouncePolicy struct {
	Limit  int
	Window time.Duration
}

func (p SoftBouncePolicy) withDefaults() SoftBouncePolicy {
	if p.Limit <= 0 {
		p.Limit = DefaultSoftBounceLimit
	}
	if p.Window <= 0 {
		p.Window = DefaultSoftBounceWindow
	}
	return p
}

// Feedback is one provider event about one address.
type Feedback struct {
	Provider string
	// EventID is the provider's id for the event; a second event with the
	// same provider and id is a retry and changes nothing.
	EventID string
	Address string
	Kind    FeedbackKind
	At      time.Time
}

// FeedbackResult is what recording one Feedback did.
type FeedbackResult struct {
	// Duplicate: the event was recorded before; nothing changed.
	Duplicate bool
	// Reason is set when the address is suppressed after this event
	// (SuppressedBounced or SuppressedComplained); "" when it is not (yet).
	Reason string
}

// SuppressionKey is how an address is stored and looked up: the hex SHA-256
// of the bare address, trimmed and lower-cased ("Jane <Jane@Example.com>"
// and "jane@example.com" are one key).
func SuppressionKey(address string) string {
	a := strings.TrimSpace(address)
	if strings.ContainsRune(a, '<') {
		if p, err := mail.ParseAddress(a); err == nil {
			a = p.Address
		}
	}
	sum := sha256.Sum256([]byte(strings.ToLower(a)))
	return hex.EncodeToString(sum[:])
}

// RecordFeedback records f for namespace in one transaction and suppresses
// its address when f (with the soft bounces before it) calls for it. An
// address suppressed once stays suppressed with its first reason.
func (db *DB) RecordFeedback(ctx context.Context, namespace string, f Feedback, p SoftBouncePolicy) (FeedbackResult, error) {
	p = p.withDefaults()
	key := SuppressionKey(f.Address)
	tx, err := db.Begin(ctx)
	if err != nil {
		return FeedbackResult{}, err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if db.Dialect == Postgres {
		// Two soft bounces of one address recorded at once would each count
		// the other's row as not yet there, and neither would reach the
		// limit; SQLite serialises writers anyway.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "suppression/"+namespace+"/"+key); err != nil {
			return FeedbackResult{}, fmt.Errorf("record feedback: %w", err)
		}
	}
	res, err := tx.Exec(ctx, `INSERT INTO suppression_feedback (namespace, provider, event_id, address_key, kind, occurred_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (namespace, provider, event_id) DO NOTHING`,
		namespace, f.Provider, f.EventID, key, string(f.Kind), ms(f.At))
	if err != nil {
		return FeedbackResult{}, fmt.Errorf("record feedback: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return FeedbackResult{}, fmt.Errorf("record feedback: %w", err)
	} else if n == 0 {
		return FeedbackResult{Duplicate: true}, tx.Commit()
	}
	reason, err := suppressionReason(ctx, tx, namespace, key, f, p)
	if err != nil {
		return FeedbackResult{}, err
	}
	if reason != "" {
		if _, err := tx.Exec(ctx, `INSERT INTO suppressions (namespace, address_key, reason, provider, suppressed_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (namespace, address_key) DO NOTHING`,
			namespace, key, reason, f.Provider, ms(f.At)); err != nil {
			return FeedbackResult{}, fmt.Errorf("suppress address: %w", err)
		}
	}
	return FeedbackResult{Reason: reason}, tx.Commit()
}

// suppressionReason is the reason f suppresses its address, "" if it does
// not. Soft bounces suppress when any span of p.Window holding f holds
// p.Limit of them: providers deliver out of order, so the ones recorded
// before f may be later than f.
func suppressionReason(ctx context.Context, tx *Tx, namespace, key string, f Feedback, p SoftBouncePolicy) (string, error) {
	switch f.Kind {
	case FeedbackHardBounce:
		return SuppressedBounced, nil
	case FeedbackComplaint:
		return SuppressedComplained, nil
	case FeedbackSoftBounce:
		times, err := softBounceTimes(ctx, tx, namespace, key, ms(f.At.Add(-p.Window)), ms(f.At.Add(p.Window)))
		if err != nil {
			return "", err
		}
		if limitReached(times, p.Window.Milliseconds(), p.Limit) {
			return SuppressedBounced, nil
		}
		return "", nil
	default:
		return "", fmt.Errorf("feedback kind %q: want %s, %s or %s", f.Kind, FeedbackHardBounce, FeedbackSoftBounce, FeedbackComplaint)
	}
}

// softBounceTimes are the address's soft bounces in (from, to], ascending.
func softBounceTimes(ctx context.Context, tx *Tx, namespace, key string, from, to int64) ([]int64, error) {
	out, err := queryColumn[int64](ctx, tx, `SELECT occurred_at FROM suppression_feedback WHERE namespace = $1 AND address_key = $2
		AND kind = $3 AND occurred_at > $4 AND occurred_at <= $5 ORDER BY occurred_at`,
		namespace, key, string(FeedbackSoftBounce), from, to)
	if err != nil {
		return nil, fmt.Errorf("count soft bounces: %w", err)
	}
	return out, nil
}

// limitReached reports whether limit of the ascending times fall within
// one span shorter than window.
func limitReached(times []int64, window int64, limit int) bool {
	for i := 0; i+limit-1 < len(times); i++ {
		if times[i+limit-1]-times[i] < window {
			return true
		}
	}
	return false
}

// SuppressedAddresses returns, for those of addresses that are suppressed in
// namespace, the reason (keyed by the address as given).
func (db *DB) SuppressedAddresses(ctx context.Context, namespace string, addresses []string) (map[string]string, error) {
	out := map[string]string{}
	if len(addresses) == 0 {
		return out, nil
	}
	byKey := map[string][]string{}
	keys := make([]any, 0, len(addresses))
	for _, a := range addresses {
		k := SuppressionKey(a)
		if _, seen := byKey[k]; !seen {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], a)
	}
	for _, c := range chunkRows(len(keys), 1) {
		part := keys[c[0]:c[1]]
		rows, err := db.Query(ctx, `SELECT address_key, reason FROM suppressions WHERE namespace = $1
			AND address_key IN (`+inList(2, len(part))+`)`, append([]any{namespace}, part...)...)
		if err != nil {
			return nil, fmt.Errorf("look up suppressions: %w", err)
		}
		for rows.Next() {
			var k, reason string
			if err := rows.Scan(&k, &reason); err != nil {
				rows.Close()
				return nil, fmt.Errorf("look up suppressions: %w", err)
			}
			for _, a := range byKey[k] {
				out[a] = reason
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("look up suppressions: %w", err)
		}
	}
	return out, nil
}
