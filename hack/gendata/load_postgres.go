package main

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/retention-dev/retention-operator/internal/datasource"
	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
)

// loadPostgres replaces the default tables and fills them with COPY (binary),
// one table per pass, then builds the customer_id indexes and analyzes, which
// is much faster than maintaining indexes row by row.
func loadPostgres(ctx context.Context, dsn string, g *generator) (n counts, err error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return n, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	ddl := "DROP TABLE IF EXISTS customers, orders, events, feedback;\n" + datasource.Schema(store.Postgres)
	for _, stmt := range strings.Split(ddl, ";\n") {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return n, fmt.Errorf("%w (statement: %.60s)", err, stmt)
		}
	}
	// One COPY per table, each a pass over the same generated customers:
	// rows picks that table's rows out of one customer's draws.
	type draws = func(d *customerDraws, os []order, fb []feedbackRow, ev []eventRow, emit func([]any))
	tables := []struct {
		name  string
		cols  []string
		count *int64
		rows  draws
	}{
		{"customers", []string{"id", "email", "timezone", "created_at", "attributes", "consent_email", "consent_sms"}, &n.customers,
			func(d *customerDraws, _ []order, _ []feedbackRow, _ []eventRow, emit func([]any)) {
				emit([]any{d.id, d.id + "@example.com", d.tz, d.created, d.attributes(), d.consentE, d.consentS})
			}},
		{"orders", []string{"customer_id", "order_id", "amount", "occurred_at"}, &n.orders,
			func(d *customerDraws, os []order, _ []feedbackRow, _ []eventRow, emit func([]any)) {
				for _, o := range os {
					emit([]any{d.id, o.id, o.amount, o.at})
				}
			}},
		{"feedback", []string{"customer_id", "score", "occurred_at"}, &n.feedback,
			func(d *customerDraws, _ []order, fb []feedbackRow, _ []eventRow, emit func([]any)) {
				for _, f := range fb {
					emit([]any{d.id, int32(f.score), f.at})
				}
			}},
		{"events", []string{"customer_id", "type", "occurred_at", "properties"}, &n.events,
			func(d *customerDraws, _ []order, _ []feedbackRow, ev []eventRow, emit func([]any)) {
				for _, e := range ev {
					emit([]any{d.id, e.typ, e.at, e.props})
				}
			}},
	}
	for _, tb := range tables {
		t := time.Now()
		if *tb.count, err = copyRows(ctx, conn, g, tb.name, tb.cols, tb.rows); err != nil {
			return n, err
		}
		log.Printf("gendata: %s copied in %s", tb.name, time.Since(t).Round(time.Millisecond))
	}
	t := time.Now()
	for _, stmt := range strings.Split(datasource.Indexes(store.Postgres), ";\n") {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return n, fmt.Errorf("%w (statement: %.60s)", err, stmt)
		}
	}
	if _, err := conn.Exec(ctx, "ANALYZE customers, orders, feedback, events"); err != nil {
		return n, err
	}
	log.Printf("gendata: indexes and analyze in %s", time.Since(t).Round(time.Millisecond))
	return n, nil
}

// copyRows COPYs the rows rowsOf emits for every customer into table. The
// generator runs in a goroutine feeding a small channel of row batches so
// drawing and COPY encoding overlap on two cores.
func copyRows(ctx context.Context, conn *pgx.Conn, g *generator, table string, cols []string,
	rowsOf func(*customerDraws, []order, []feedbackRow, []eventRow, func([]any))) (int64, error) {
	batches := make(chan [][]any, 8)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(batches)
		batch := make([][]any, 0, 4096)
		g.each(func(d *customerDraws, os []order, fb []feedbackRow, ev []eventRow) error { //nolint:errcheck // the callback never fails
			rowsOf(d, os, fb, ev, func(r []any) { batch = append(batch, r) })
			if len(batch) >= 4096 {
				select {
				case batches <- batch:
				case <-done:
					return fmt.Errorf("stopped")
				}
				batch = make([][]any, 0, 4096)
			}
			return nil
		})
		if len(batch) > 0 {
			select {
			case batches <- batch:
			case <-done:
			}
		}
	}()
	var cur [][]any
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		for i >= len(cur) {
			b, ok := <-batches
			if !ok {
				return nil, nil
			}
			cur, i = b, 0
		}
		i++
		return cur[i-1], nil
	})
	n, err := conn.CopyFrom(ctx, pgx.Identifier{table}, cols, src)
	if err != nil {
		return n, fmt.Errorf("copy %s: %w", table, err)
	}
	return n, nil
}
