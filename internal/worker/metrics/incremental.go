package metrics

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/metrics"
	"github.com/retention-dev/retention-operator/internal/store"
)

// Incremental runs (spec.incremental, docs/metrics-incremental.md).
//
// Every customer's aggregates (the feature row without its AsOf-derived
// fields, purchase days, order activity) are kept in the state store with
// a watermark, the AsOf they are exact for. A run reads the ids of the
// customers whose aggregates may have changed since then (ChangeQuery: new,
// late and corrected rows, and orders that crossed a window edge),
// recomputes exactly those customers from the source with the very queries
// a full run uses, restricted to them, and keeps everyone else's stored
// rows. Membership and figures are then computed from the merged rows by the
// same code in both modes, in customer id order, so an incremental run and a
// full recomputation give the same figures bit for bit when their
// aggregates are equal.

// updatedAtMargin is how far before the previous run updated_at is read
// again in a table that has the column: rows stamped before the previous
// run's read but committed after it (a transaction open across the run).
// The overlap, which re-reads a whole window of dates, is only needed where
// no updated_at says which rows are new.
const updatedAtMargin = time.Hour

// incrementalBatch is how many customers one restricted read covers, and
// incrementalReaders how many such reads run at once.
const (
	incrementalBatch   = 10000
	incrementalReaders = 2
)

// incrementalSource returns the connector's incremental reads when this
// run keeps aggregates: spec.incremental is set, a state store is given, the
// source is a database, and the cohort range fits the activity query.
func (r *run) incrementalSource(conn datasource.Connector) (datasource.IncrementalSource, bool) {
	if r.o.Segment.Incremental == nil || r.o.DB == nil {
		return nil, false
	}
	src, ok := conn.(datasource.IncrementalSource)
	if !ok {
		r.o.Logger.Info("incremental run not possible: file sources are always read in full", "kind", string(r.o.Source.Kind))
		return nil, false
	}
	if _, ok := conn.(datasource.PurchaseDayScanner); !ok {
		return nil, false
	}
	if _, ok := conn.(datasource.OrderActivityScanner); !ok {
		return nil, false
	}
	return src, true
}

// executeIncremental is execute for a run that keeps aggregates.
func (r *run) executeIncremental(ctx context.Context, conn datasource.Connector, src datasource.IncrementalSource) error {
	set := newIncrementalSettings(r.o.Segment.Incremental)
	p := r.plan
	var err error
	// Every customer's row is evaluated here, in Go: nothing is pushed down.
	p.where, p.args, p.pushdown = "", nil, false
	if p.orderMetrics {
		if r.act, err = newActivity(r.now, p.window, p.wants(metrics.MetricCohortRetention)); err != nil {
			return err
		}
		if _, fits := r.act.activityQuery(r.now); !fits {
			return fmt.Errorf("spec.incremental: the cohort range has more than %d months; remove spec.incremental or shorten spec.window", datasource.MaxActivityMonths)
		}
	}
	if err := r.o.DB.MigrateSegmentAggregates(ctx); err != nil {
		return fmt.Errorf("state store: %w", err)
	}
	start := time.Now()
	hash := r.aggregateSpecHash()
	prev, have, err := r.o.DB.SegmentAggregateState(ctx, r.ref)
	if err != nil {
		return fmt.Errorf("state store: %w", err)
	}
	reason := fullReason(r.o.Full, have, prev, hash, r.now, set)
	var st stepTimes
	aggs, write, err := r.refreshAggregates(ctx, conn, src, reason, prev, set, &st)
	if err != nil {
		return r.dataErr(err)
	}
	written := time.Now()
	write.State = store.AggregateState{SpecHash: hash, AsOf: r.now, FullAt: prev.FullAt}
	if write.ReplaceAll {
		write.State.FullAt = r.now
	}
	if err := r.o.DB.WriteSegmentAggregates(ctx, r.ref, write); err != nil {
		return err
	}
	st.write = time.Since(written)
	mode := "incremental"
	if reason != "" {
		mode = "full"
	}
	r.o.Logger.Info("segment aggregates", "segment", r.ref.Key(), "mode", mode, "reason", reason,
		"customers", len(aggs), "recomputed", st.touched, "changed", len(write.Rows), "duration", time.Since(start).Round(time.Millisecond).String(),
		"load", ms(st.load), "changes", ms(st.changes), "read", ms(st.read), "merge", ms(st.merge), "write", ms(st.write))
	ids := slices.Sorted(maps.Keys(aggs))
	if p.predict {
		if err := r.incrementalModel(ctx, aggs, ids, hash, set); err != nil {
			return err
		}
	}
	r.scanTime = time.Since(start)
	fill := func(add func(*customer.Features, *clv.ScoreInputs) error) (*clv.ScoreModel, error) {
		return r.scoreModel(), r.evaluateAggregates(aggs, ids, add)
	}
	snap := time.Now()
	// Only the difference is written: most members' rows read back as
	// stored (their times are derived when read).
	r.diff, err = r.o.DB.UpdateSegmentSnapshotRows(ctx, r.ref, r.now, fill)
	r.snapshotTime = time.Since(snap)
	return err
}

// fullReason says why this run must recompute everyone ("" when it may be
// incremental).
func fullReason(forced, have bool, prev store.AggregateState, hash string, now time.Time, set incrementalSettings) string {
	switch {
	case forced:
		return "--full"
	case !have:
		return "no stored aggregates"
	case prev.SpecHash != hash:
		return "the window, metrics or source changed what the aggregates hold"
	case now.Before(prev.AsOf):
		return "this run is dated before the stored aggregates"
	case now.Sub(prev.FullAt) >= set.fullEvery:
		return "spec.incremental.fullEvery elapsed"
	}
	return ""
}

// refreshAggregates returns every customer's aggregates as of r.now and
// the write that stores them: all read from the source (a full run), or the
// stored rows with the changed customers read again.
func (r *run) refreshAggregates(ctx context.Context, conn datasource.Connector, src datasource.IncrementalSource,
	reason string, prev store.AggregateState, set incrementalSettings, st *stepTimes) (map[string]*aggregate, store.AggregateWrite, error) {
	var w store.AggregateWrite
	mark := time.Now()
	lap := func(into *time.Duration) {
		now := time.Now()
		*into, mark = now.Sub(mark), now
	}
	if reason != "" {
		defer lap(&st.read)
		aggs := map[string]*aggregate{}
		if err := r.readAggregates(ctx, conn, aggs); err != nil {
			return nil, w, err
		}
		w.ReplaceAll = true
		w.Rows = encodeAll(aggs, slices.Sorted(maps.Keys(aggs)))
		st.touched = len(aggs)
		return aggs, w, nil
	}
	// The stored rows are read from the state store while the source finds
	// and reads the changed customers: two databases' work, overlapped.
	var aggs map[string]*aggregate
	var loadErr error
	loaded := make(chan struct{})
	loadCtx, stopLoad := context.WithCancel(ctx)
	go func() {
		defer close(loaded)
		began := time.Now()
		aggs, loadErr = r.loadAggregates(loadCtx)
		st.load = time.Since(began)
	}()
	defer func() { stopLoad(); <-loaded }() // a failed read stops the load and waits for it
	fresh, touched, err := r.readChanged(ctx, src, prev, set, st, lap)
	if err != nil {
		return nil, w, err
	}
	<-loaded
	if loadErr != nil {
		return nil, w, loadErr
	}
	w.Remove = touched
	mark = time.Now()
	// Only rows that changed are rewritten: most customers the overlap
	// brings back (their orders of last week were counted by the previous
	// run already) read back exactly as stored.
	var remove []string
	for _, id := range w.Remove {
		a, now := fresh[id]
		old, was := aggs[id]
		var row []byte
		if now {
			row = encodeAggregate(nil, a)
		}
		if now == was && (!now || bytes.Equal(row, encodeAggregate(nil, old))) {
			continue
		}
		remove = append(remove, id)
		delete(aggs, id)
		if now {
			aggs[id] = a
			w.Rows = append(w.Rows, store.AggregateRow{ID: id, Agg: row})
		}
	}
	st.touched = len(w.Remove)
	w.Remove = remove
	st.merge = time.Since(mark)
	return aggs, w, nil
}

// readChanged finds the customers whose aggregates may have changed since
// the stored watermark and reads theirs from the source: the touched ids,
// sorted, and the aggregates of those the source still has.
func (r *run) readChanged(ctx context.Context, src datasource.IncrementalSource, prev store.AggregateState,
	set incrementalSettings, st *stepTimes, lap func(*time.Duration)) (map[string]*aggregate, []string, error) {
	cols, err := src.ChangeColumns(ctx)
	if err != nil {
		return nil, nil, err
	}
	q := datasource.ChangeQuery{Since: prev.AsOf.Add(-set.overlap), Previous: prev.AsOf,
		UpdatedSince: prev.AsOf.Add(-min(set.overlap, updatedAtMargin)), AsOf: r.now, Columns: cols,
		Crossings: r.crossings(prev.AsOf)}
	touched := map[string]struct{}{}
	if err := src.ChangedCustomers(ctx, q, func(id string) error {
		touched[strings.Clone(id)] = struct{}{}
		return nil
	}); err != nil {
		return nil, nil, err
	}
	ids := slices.Sorted(maps.Keys(touched))
	lap(&st.changes)
	fresh, err := r.readBatches(ctx, src, ids)
	if err != nil {
		return nil, nil, err
	}
	lap(&st.read)
	return fresh, ids, nil
}

// readBatches reads the aggregates of ids from the source, incrementalBatch
// customers a query, incrementalReaders batches at a time: each batch is
// index lookups the database runs in one backend, so two keep a second core
// busy as a full run's parallel scan does.
func (r *run) readBatches(ctx context.Context, src datasource.IncrementalSource, ids []string) (map[string]*aggregate, error) {
	parts := slices.Collect(slices.Chunk(ids, incrementalBatch))
	read := make([]map[string]*aggregate, len(parts))
	var failed sync.Once
	var firstErr error // the failure that cancelled the others
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int, len(parts))
	for i := range parts {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(incrementalReaders, len(parts)) {
		wg.Go(func() {
			for i := range next {
				read[i] = map[string]*aggregate{}
				if err := r.readAggregates(ctx, src.Only(parts[i]), read[i]); err != nil {
					failed.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	fresh := make(map[string]*aggregate, len(ids))
	for _, m := range read {
		maps.Copy(fresh, m)
	}
	return fresh, nil
}

// stepTimes are the parts of refreshing the aggregates, for the log.
type stepTimes struct {
	// load runs beside changes and read; merge compares the read rows
	// with the stored ones.
	load, changes, read, merge, write time.Duration
	touched                           int // customers recomputed (w.Rows: those whose rows changed)
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }

// crossings are the order dates whose orders moved across an edge the
// aggregates depend on between the stored AsOf and this one: out of the
// feature window (windowOrders, windowSpend), and into and out of the period
// before it (retention's "active at the start").
func (r *run) crossings(prevAsOf time.Time) []datasource.TimeRange {
	w := r.plan.window
	out := []datasource.TimeRange{{After: prevAsOf.Add(-w), Until: r.now.Add(-w)}}
	if r.act != nil {
		out = append(out, datasource.TimeRange{After: prevAsOf.Add(-2 * w), Until: r.now.Add(-2 * w)})
	}
	return out
}

func encodeAll(aggs map[string]*aggregate, ids []string) []store.AggregateRow {
	rows := make([]store.AggregateRow, len(ids))
	for i, id := range ids {
		rows[i] = store.AggregateRow{ID: id, Agg: encodeAggregate(nil, aggs[id])}
	}
	return rows
}

// readAggregates reads the aggregates of every customer conn covers into
// into, with the queries of a non-incremental run: the features query, the
// purchase days (predicted CLV) and the order activity (retention, churn,
// cohorts).
func (r *run) readAggregates(ctx context.Context, conn datasource.Connector, into map[string]*aggregate) error {
	get := func(id string) *aggregate {
		a, ok := into[id]
		if !ok {
			a = &aggregate{}
			into[strings.Clone(id)] = a
		}
		return a
	}
	p := r.plan
	err := conn.ScanFeatures(ctx, datasource.FeatureQuery{AsOf: r.now, Window: p.window}, func(f *customer.Features) error {
		a := get(f.ID)
		a.hasFeatures = true
		a.f = *f
		a.f.ID = ""
		a.f.Attributes = maps.Clone(f.Attributes)
		return nil
	})
	if err != nil {
		return err
	}
	if ir, ok := conn.(datasource.IssueReporter); ok {
		r.issues = ir.DataIssues()
	}
	if p.predict {
		err := conn.(datasource.PurchaseDayScanner).ScanPurchaseDays(ctx, r.now, func(d *datasource.PurchaseDays) error {
			a := get(d.CustomerID)
			a.hasDays, a.days = true, *d
			a.days.CustomerID = ""
			return nil
		})
		if err != nil {
			return err
		}
	}
	if r.act != nil {
		q, _ := r.act.activityQuery(r.now)
		err := conn.(datasource.OrderActivityScanner).ScanOrderActivity(ctx, q, func(o *datasource.OrderActivity) error {
			a := get(o.CustomerID)
			a.hasActivity, a.active, a.months = true, o.Active, o.Months
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// loadAggregates reads every stored row of the Segment.
func (r *run) loadAggregates(ctx context.Context) (map[string]*aggregate, error) {
	aggs := map[string]*aggregate{}
	interned := map[string]string{}
	err := r.o.DB.ScanSegmentAggregates(ctx, r.ref, func(id string, row []byte) error {
		a := &aggregate{}
		if err := decodeAggregate(row, a, interned); err != nil {
			return fmt.Errorf("segment %s: %w", r.ref.Key(), err)
		}
		aggs[id] = a
		return nil
	})
	return aggs, err
}

// evaluateAggregates is the scan of a non-incremental run over the merged
// rows, in id order: each customer's feature row is completed for r.now,
// evaluated, and folded into the totals and the snapshot when a member;
// then the members' activity feeds retention and cohorts.
//
// A member's snapshot row goes with the inputs of its score rather than
// the score (storedScore), so the row stays the same while T moves.
func (r *run) evaluateAggregates(aggs map[string]*aggregate, ids []string, add func(*customer.Features, *clv.ScoreInputs) error) error {
	p := r.plan
	var f customer.Features
	// Members whose score only the metric reads are scored after the walk,
	// over the CPUs (their indices in r.preds.buyers).
	var scoring []int32
	for _, id := range ids {
		a := aggs[id]
		if !a.hasFeatures {
			continue
		}
		r.customers++
		f = a.f
		f.ID = id
		f.SetTimesAsOf(r.now)
		if r.balances != nil {
			b := r.balances[id]
			f.LoyaltyTier, f.LoyaltyPoints = b.tier, b.points
		}
		if r.traits != nil {
			r.traits[id].Apply(&f)
		}
		if r.preds != nil && p.criteriaPredicts {
			if err := r.preds.predict(&f); err != nil {
				return err
			}
		}
		ok, err := p.program.Matches(&f)
		if err != nil {
			r.evalErrors++ // as scan: a runtime error means "not a member"
			continue
		}
		if !ok {
			continue
		}
		if r.preds != nil && !p.criteriaPredicts {
			if i := r.preds.buyers.index(id); i >= 0 {
				scoring = append(scoring, int32(i))
			}
		}
		r.totals.add(&f)
		if r.act != nil {
			r.act.addMember(&f)
		}
		if err := add(&f, r.storedScore(a)); err != nil {
			return err
		}
	}
	if len(scoring) > 0 {
		if err := r.addMemberScores(scoring); err != nil {
			return err
		}
	}
	if r.act == nil {
		return nil
	}
	var o datasource.OrderActivity
	for _, id := range ids {
		if a := aggs[id]; a.hasActivity {
			o.CustomerID, o.Active, o.Months = id, a.active, a.months
			r.act.addActivity(&o)
		}
	}
	return nil
}
