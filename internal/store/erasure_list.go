package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
)

// The erasure list is how an erased customer stays erased while the data
// source still holds them: readers of the source skip ids on it, snapshots
// leave them out, and a journey batch does not write them back.

// ErasedIDs is the store's list of erased customers, as pseudonyms: Has
// tells whether an id read from a data source was erased, so its rows are
// not imported again from a source that still holds them. Refresh re-reads
// the list when the erasure log has grown, so a long-running worker learns
// of an erasure on its next poll. Not safe for concurrent use.
type ErasedIDs struct {
	db       *DB
	key      []byte
	seen     map[string]bool
	runs     int64 // erasure_log rows when last read
	migrated bool
}

// ErasureList returns the store's erasure list, empty until Refresh.
func (db *DB) ErasureList() *ErasedIDs { return &ErasedIDs{db: db, seen: map[string]bool{}} }

// LoadErasedIDs reads the erasure list (empty when nothing was ever erased).
func (db *DB) LoadErasedIDs(ctx context.Context) (*ErasedIDs, error) {
	x := db.ErasureList()
	if _, err := x.Refresh(ctx); err != nil {
		return nil, err
	}
	return x, nil
}

// Has reports whether id was erased.
func (x *ErasedIDs) Has(id string) bool {
	if x == nil || len(x.seen) == 0 {
		return false
	}
	return x.seen[pseudonym(x.key, id)]
}

// Len is the number of erased customers.
func (x *ErasedIDs) Len() int {
	if x == nil {
		return 0
	}
	return len(x.seen)
}

// Refresh re-reads the list if the erasure log changed since the last read
// and reports whether it did. One count query when nothing changed.
func (x *ErasedIDs) Refresh(ctx context.Context) (changed bool, err error) {
	if !x.migrated {
		if err := x.db.MigrateErasure(ctx); err != nil {
			return false, err
		}
		x.migrated = true
	}
	var runs int64
	if err := x.db.QueryRow(ctx, `SELECT count(*) FROM erasure_log`).Scan(&runs); err != nil {
		return false, fmt.Errorf("erasure list: %w", err)
	}
	if runs == x.runs {
		return false, nil
	}
	key, err := storedErasureKey(ctx, x.db)
	if key == nil || err != nil {
		return false, err
	}
	seen, err := querySet(ctx, x.db, `SELECT DISTINCT pseudonym FROM erasure_log`)
	if err != nil {
		return false, fmt.Errorf("erasure list: %w", err)
	}
	changed = len(seen) != len(x.seen)
	x.key, x.seen, x.runs = key, seen, runs
	return changed, nil
}

// storedErasureKey reads the store's pseudonym key; nil when there is none
// yet, that is when nothing was ever erased. Unlike erasureKey it never
// creates one.
func storedErasureKey(ctx context.Context, q interface {
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}) ([]byte, error) {
	var secret string
	err := q.QueryRow(ctx, `SELECT secret FROM erasure_key WHERE id = 1`).Scan(&secret)
	if noRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("erasure list: %w", err)
	}
	key, err := hex.DecodeString(secret)
	if err != nil {
		return nil, fmt.Errorf("erasure list: key: %w", err)
	}
	return key, nil
}

// withoutErasedMembers drops erased customers from a segment snapshot's
// fill: the data source may still hold them, the snapshot must not (so
// neither the membership, the feature rows nor the size count them).
func withoutErasedMembers(ctx context.Context, db *DB,
	fill func(add func(stagedMember) error) error) (func(add func(stagedMember) error) error, error) {
	erased, err := db.LoadErasedIDs(ctx)
	if err != nil {
		return nil, err
	}
	if erased.Len() == 0 {
		return fill, nil
	}
	return func(add func(stagedMember) error) error {
		return fill(func(m stagedMember) error {
			if erased.Has(m.id) {
				return nil
			}
			return add(m)
		})
	}, nil
}

// erasedAmong returns which of ids are on the erasure list, read inside tx
// (after the customers' locks, so an erasure that committed first is seen
// and one that comes later waits for tx). nil when nothing was ever erased.
func erasedAmong(ctx context.Context, tx *Tx, ids []string) (map[string]bool, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	key, err := storedErasureKey(ctx, tx)
	if key == nil || err != nil {
		return nil, err
	}
	byPseudonym := make(map[string]string, len(ids))
	ps := make([]any, 0, len(ids))
	for _, id := range ids {
		p := pseudonym(key, id)
		byPseudonym[p] = id
		ps = append(ps, p)
	}
	out := map[string]bool{}
	for _, c := range chunkRows(len(ps), 1) {
		part := ps[c[0]:c[1]]
		found, err := queryColumn[string](ctx, tx, `SELECT DISTINCT pseudonym FROM erasure_log WHERE pseudonym IN (`+inList(1, len(part))+`)`, part...)
		if err != nil {
			return nil, fmt.Errorf("erasure list: %w", err)
		}
		for _, p := range found {
			out[byPseudonym[p]] = true
		}
	}
	return out, nil
}

// withoutErased drops erased customers' states, ledger rows and
// observations from a batch computed before their erasure.
func (b *JourneyBatch) withoutErased(erased map[string]bool) {
	if len(erased) == 0 {
		return
	}
	states := b.States[:0:0]
	for _, s := range b.States {
		if !erased[s.CustomerID] {
			states = append(states, s)
		}
	}
	ds := b.Deliveries[:0:0]
	for _, d := range b.Deliveries {
		switch {
		case !erased[d.CustomerID]:
			ds = append(ds, d)
		case d.Kind == DeliveryMessage:
			// The worker counted the message; it is not sent, so it is
			// counted as suppressed, and the playbook's messages still add up.
			if b.Counters == nil {
				b.Counters = map[string]int64{}
			}
			b.Counters["suppressed/erased"]++
		}
	}
	b.States, b.Deliveries = states, ds
	for id := range b.Seen {
		if erased[id] {
			delete(b.Seen, id)
		}
	}
}

// addErasedObservations adds to erased the customers of b's trigger
// observations that are erased, beyond checked (sorted ids already looked up).
func addErasedObservations(ctx context.Context, tx *Tx, b *JourneyBatch, checked []string, erased map[string]bool) error {
	var unchecked []string
	for id := range b.Seen {
		if _, ok := slices.BinarySearch(checked, id); !ok {
			unchecked = append(unchecked, id)
		}
	}
	more, err := erasedAmong(ctx, tx, unchecked)
	if err != nil {
		return err
	}
	maps.Copy(erased, more)
	return nil
}
