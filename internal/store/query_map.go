package store

import (
	"context"
	"database/sql"
	"errors"
)

// querier runs a query: *DB, *Tx and the points ledger's transactions.
type querier interface {
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// QueryMap runs a query of two columns, a text key and a value, and returns
// them as a map: the shape of every "count per name" read (journey counters,
// active journeys per step, stored message ids).
func QueryMap[V any](ctx context.Context, q querier, query string, args ...any) (map[string]V, error) {
	out := map[string]V{}
	err := eachRow(ctx, q, func(rows *sql.Rows) error {
		var k string
		var v V
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		out[k] = v
		return nil
	}, query, args...)
	return out, err
}

// queryRows runs query and returns its rows in order, each read by scan
// (nil when there are none).
func queryRows[T any](ctx context.Context, q querier, scan func(rows *sql.Rows, v *T) error, query string, args ...any) ([]T, error) {
	var out []T
	err := eachRow(ctx, q, func(rows *sql.Rows) error {
		var v T
		if err := scan(rows, &v); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	}, query, args...)
	return out, err
}

// queryColumn runs a query of one column and returns its values in order.
func queryColumn[T any](ctx context.Context, q querier, query string, args ...any) ([]T, error) {
	return queryRows(ctx, q, func(rows *sql.Rows, v *T) error { return rows.Scan(v) }, query, args...)
}

// querySet runs a query of one text column and returns its values as a set.
func querySet(ctx context.Context, q querier, query string, args ...any) (map[string]bool, error) {
	out := map[string]bool{}
	err := eachRow(ctx, q, func(rows *sql.Rows) error {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		out[s] = true
		return nil
	}, query, args...)
	return out, err
}

// eachRow runs query and calls scan on every row; the first error of the
// query, of scan or of the iteration ends it.
func eachRow(ctx context.Context, q querier, scan func(rows *sql.Rows) error, query string, args ...any) error {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// nonNil makes an empty list non-nil, so that it encodes as [] in JSON, not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// noRows reports whether err says a single-row query found no row.
func noRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
