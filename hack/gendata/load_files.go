package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/retention-dev/retention-operator/internal/datasource"
	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
)

// loadSQLite replaces the SQLite file and inserts in one transaction per
// table (SQLite is fast in-process; the transaction avoids a sync per row).
func loadSQLite(ctx context.Context, path string, g *generator) (counts, error) {
	var n counts
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
			return n, err
		}
	}
	db, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		return n, err
	}
	defer db.Close()
	if err := datasource.CreateTables(ctx, db, false); err != nil {
		return n, err
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return n, err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	iso := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	insC, err := tx.PrepareContext(ctx, db.Rebind(`INSERT INTO customers (id, email, timezone, created_at, attributes, consent_email, consent_sms) VALUES ($1,$2,$3,$4,$5,$6,$7)`))
	if err != nil {
		return n, err
	}
	insO, err := tx.PrepareContext(ctx, db.Rebind(`INSERT INTO orders (customer_id, order_id, amount, occurred_at) VALUES ($1,$2,$3,$4)`))
	if err != nil {
		return n, err
	}
	insF, err := tx.PrepareContext(ctx, db.Rebind(`INSERT INTO feedback (customer_id, score, occurred_at) VALUES ($1,$2,$3)`))
	if err != nil {
		return n, err
	}
	insE, err := tx.PrepareContext(ctx, db.Rebind(`INSERT INTO events (customer_id, type, occurred_at, properties) VALUES ($1,$2,$3,$4)`))
	if err != nil {
		return n, err
	}
	err = g.each(func(d *customerDraws, os []order, fb []feedbackRow, ev []eventRow) error {
		if _, err := insC.ExecContext(ctx, d.id, d.id+"@example.com", d.tz, iso(d.created), d.attributes(), d.consentE, d.consentS); err != nil {
			return err
		}
		n.customers++
		for _, o := range os {
			if _, err := insO.ExecContext(ctx, d.id, o.id, o.amount, iso(o.at)); err != nil {
				return err
			}
			n.orders++
		}
		for _, f := range fb {
			if _, err := insF.ExecContext(ctx, d.id, f.score, iso(f.at)); err != nil {
				return err
			}
			n.feedback++
		}
		for _, e := range ev {
			if _, err := insE.ExecContext(ctx, d.id, e.typ, iso(e.at), e.props); err != nil {
				return err
			}
			n.events++
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	if err := tx.Commit(); err != nil {
		return n, err
	}
	return n, datasource.CreateIndexes(ctx, db)
}

// writeCSV writes the csv file-source layout into dir.
func writeCSV(dir string, g *generator) (counts, error) {
	var n counts
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return n, err
	}
	type file struct {
		f *os.File
		b *bufio.Writer
		w *csv.Writer
	}
	open := func(name string, header ...string) (*file, error) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		b := bufio.NewWriterSize(f, 1<<20)
		w := csv.NewWriter(b)
		return &file{f, b, w}, w.Write(header)
	}
	cf, err := open("customers.csv", "id", "email", "timezone", "created_at", "attributes", "consent_email", "consent_sms")
	if err != nil {
		return n, err
	}
	of, err := open("orders.csv", "customer_id", "order_id", "amount", "occurred_at")
	if err != nil {
		return n, err
	}
	ff, err := open("feedback.csv", "customer_id", "score", "occurred_at")
	if err != nil {
		return n, err
	}
	ef, err := open("events.csv", "customer_id", "type", "occurred_at", "properties")
	if err != nil {
		return n, err
	}
	iso := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	err = g.each(func(d *customerDraws, os []order, fb []feedbackRow, ev []eventRow) error {
		cf.w.Write([]string{d.id, d.id + "@example.com", d.tz, iso(d.created), d.attributes(), //nolint:errcheck // checked at Flush
			strconv.FormatBool(d.consentE), strconv.FormatBool(d.consentS)})
		n.customers++
		for _, o := range os {
			of.w.Write([]string{d.id, o.id, strconv.FormatFloat(o.amount, 'f', 2, 64), iso(o.at)}) //nolint:errcheck
			n.orders++
		}
		for _, f := range fb {
			ff.w.Write([]string{d.id, strconv.Itoa(f.score), iso(f.at)}) //nolint:errcheck
			n.feedback++
		}
		for _, e := range ev {
			ef.w.Write([]string{d.id, e.typ, iso(e.at), e.props}) //nolint:errcheck
			n.events++
		}
		return nil
	})
	for _, f := range []*file{cf, of, ff, ef} {
		f.w.Flush()
		if werr := f.w.Error(); werr != nil && err == nil {
			err = werr
		}
		if ferr := f.b.Flush(); ferr != nil && err == nil {
			err = ferr
		}
		if cerr := f.f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", f.f.Name(), cerr)
		}
	}
	return n, err
}
