package store

import (
	"context"
	"fmt"

	"github.com/retention-dev/retention-operator/internal/journey"
)

// PostgreSQL batch writes pass one array per column to unnest(): the
// statement text never changes, so it is parsed and planned once per
// connection, and a 1,000-row batch is one round trip with 15-18 parameters
// instead of 15,000-18,000.

func upsertStatesPostgres(ctx context.Context, tx *Tx, playbook string, states []journey.State) error {
	n := len(states)
	ids, names, statuses, events := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	buckets, enrol, step, waiting, holdout := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	entered, due, sends, converted, convAt, finished := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, s := range states {
		ids[i], names[i], statuses[i] = s.CustomerID, s.StepName, string(s.Status)
		buckets[i], enrol[i], step[i] = int64(journey.Bucket(s.CustomerID)), int64(s.Enrolment), int64(s.Step)
		waiting[i], holdout[i] = int64(b2i(s.Waiting)), int64(b2i(s.Holdout))
		entered[i], due[i], sends[i] = ms(s.EnteredAt), ms(s.DueAt), int64(s.Sends)
		converted[i], convAt[i], finished[i] = int64(b2i(s.Converted)), ms(s.ConvertedAt), ms(s.FinishedAt)
		events[i] = journey.EncodeTriggerEvent(s.Event)
	}
	_, err := tx.Exec(ctx, `INSERT INTO journey_states (playbook, customer_id, bucket, enrolment, step, step_name, status,
		waiting, holdout, entered_at, due_at, sends, converted, converted_at, finished_at, trigger_event)
		SELECT $1, * FROM unnest($2::text[], $3::int[], $4::int[], $5::int[], $6::text[], $7::text[], $8::int[], $9::int[],
			$10::bigint[], $11::bigint[], $12::int[], $13::int[], $14::bigint[], $15::bigint[], $16::text[])`+stateUpsertSet,
		playbook, ids, buckets, enrol, step, names, statuses, waiting, holdout, entered, due, sends, converted, convAt, finished, events)
	if err != nil {
		return fmt.Errorf("write journey states: %w", err)
	}
	return nil
}

func insertDeliveriesPostgres(ctx context.Context, tx *Tx, ds []Delivery) error {
	n := len(ds)
	cols := make([][]string, 12)
	for i := range cols {
		cols[i] = make([]string, n)
	}
	buckets, points, attempts, created, done := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, d := range ds {
		for c, v := range []string{d.Key, d.Namespace, d.Playbook, d.CustomerID, d.Step, d.Kind, d.Channel, d.To,
			d.Subject, d.Body, d.HTML, d.Status} {
			cols[c][i] = v
		}
		buckets[i], points[i], attempts[i] = int64(journey.Bucket(d.CustomerID)), d.Points, int64(d.Attempts)
		created[i], done[i] = ms(d.CreatedAt), ms(d.DoneAt)
		cols[11][i] = d.Status
	}
	errs := make([]string, n)
	for i, d := range ds {
		errs[i] = d.Error
	}
	_, err := tx.Exec(ctx, `INSERT INTO delivery_ledger (idempotency_key, namespace, playbook, customer_id, bucket, step,
		kind, channel, recipient, subject, body, html, points, status, attempts, created_at, done_at, error)
		SELECT k, ns, pb, c, b, st, kd, ch, r, su, bo, h, p, s, a, cr, dn, e FROM unnest($1::text[], $2::text[], $3::text[],
			$4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
			$13::bigint[], $14::text[], $15::int[], $16::bigint[], $17::bigint[], $18::text[])
			AS t(k, ns, pb, c, b, st, kd, ch, r, su, bo, h, p, s, a, cr, dn, e)
		ON CONFLICT (idempotency_key) DO NOTHING`,
		cols[0], cols[1], cols[2], cols[3], buckets, cols[4], cols[5], cols[6], cols[7], cols[8], cols[9], cols[10],
		points, cols[11], attempts, created, done, errs)
	if err != nil {
		return fmt.Errorf("write delivery ledger: %w", err)
	}
	return nil
}
