package metrics

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/metrics"
	"github.com/retention-dev/retention-operator/internal/redact"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/store"
)

// Run executes one run of the metric job and returns its summary, which is
// complete in both outcomes: on failure Succeeded is false, Error names the
// row or setting, LastSuccess still says when a run last succeeded, and the
// previous membership snapshot is kept (the next good run diffs against it).
func Run(ctx context.Context, o Options) (report.Segment, error) {
	o.defaults()
	started := time.Now()
	// Milliseconds: segment_runs stores them, so a carried-over lastSuccess
	// equals the runTime it was reported with.
	now := o.Clock().UTC().Truncate(time.Millisecond)
	sum := report.Segment{RunTime: now}
	ref := store.SegmentRef{Namespace: o.Namespace, Name: o.Name}
	if o.DB != nil {
		if err := o.DB.MigrateSegments(ctx); err != nil {
			sum.Error = redact.Message(fmt.Sprintf("state store: %v", err))
			return sum, errors.New(sum.Error)
		}
		prev, ok, err := o.DB.LastSegmentRun(ctx, ref)
		if err != nil {
			sum.Error = redact.Message(fmt.Sprintf("state store: %v", err))
			return sum, errors.New(sum.Error)
		}
		if ok && !prev.LastSuccessAt.IsZero() {
			t := prev.LastSuccessAt
			sum.LastSuccess = &t
		}
	}
	r := &run{o: o, now: now, ref: ref}
	err := r.execute(ctx)
	sum.DataSourceReachable = r.reachable
	sum.DataIssues = r.issues
	if err != nil {
		// Redacted here, not only when published: the text is also stored
		// in segment_runs and logged.
		sum.Error = redact.Error(err)
		if o.DB != nil {
			if rerr := o.DB.RecordSegmentFailure(ctx, ref, now, sum.Error); rerr != nil {
				o.Logger.Error("record failed run", "err", redact.Error(rerr))
			}
		}
		o.Logger.Error("segment run failed", "segment", o.Namespace+"/"+o.Name, "err", sum.Error)
		return sum, err
	}
	sum.Succeeded = true
	sum.LastSuccess = &now
	sum.Size, sum.Entered, sum.Exited = r.diff.Size, r.diff.Entered, r.diff.Exited
	sum.Customers = r.customers
	values := r.metricValues()
	sum.Metrics = r.metricFigures(values)
	sum.MetricNotes = r.metricNotes(values)
	sum.Cohorts = r.cohorts()
	o.Logger.Info("segment run finished", "segment", o.Namespace+"/"+o.Name, "customers", sum.Customers,
		"size", sum.Size, "entered", sum.Entered, "exited", sum.Exited, "rowsRewritten", r.diff.Rewritten, "pushdown", r.plan.pushdown,
		"criteriaErrors", r.evalErrors, "dataIssues", r.issues, "duration", time.Since(started).Round(time.Millisecond).String(),
		"scan", r.scanTime.Round(time.Millisecond).String(), "snapshot", r.snapshotTime.Round(time.Millisecond).String())
	return sum, nil
}

// run is the state of one execution.
type run struct {
	o    Options
	now  time.Time
	ref  store.SegmentRef
	plan *plan

	reachable bool
	customers int64
	// issues are the data rows the source skipped and counted, by kind
	// (datasource.IssueReporter); nil when none or not a file source.
	issues     map[string]int64
	evalErrors int64
	totals     totals
	act        *activity
	// preds scores customers; nil when not asked for or not fitted.
	preds *predictor
	// fitNote says why the model was not fitted (predictedCLV's note).
	fitNote string
	// fit is the model fitted beside the scan when only the metric needs
	// it: the rows stream once the purchase days are in.
	fit *pendingFit
	// early is the model fitted while the database computes the features,
	// awaited before the first row is read (nil once installed).
	early *pendingFit
	// progress is o.Progress, serialised when a fit runs beside the scan.
	progress func(Progress)
	// balances are loyalty members' tiers and points; nil without a program.
	balances map[string]balance
	// traits are ingested identify traits by customer; nil without ingest.
	traits map[string]*store.Traits
	// scanTime is the data source scans, snapshotTime the membership COPY
	// tail, diff and commit after them.
	scanTime, snapshotTime time.Duration
	diff                   store.SegmentDiff
}

func (r *run) execute(ctx context.Context) error {
	kind := r.o.Source.Kind
	p, err := newPlan(r.o.Segment, kind)
	if err != nil {
		return err
	}
	r.plan = p
	conn := r.o.Connector
	if conn == nil {
		if err := r.o.Source.Validate(); err != nil {
			return fmt.Errorf("data source config: %w", err)
		}
		conn, err = datasource.Open(ctx, r.o.Source)
		if err != nil {
			return fmt.Errorf("data source unreachable: %w", err)
		}
		defer conn.Close()
	}
	r.reachable = true
	if r.o.Loyalty != nil && r.o.DB != nil {
		if r.balances, err = loadBalances(ctx, r.o.DB, r.o.Loyalty, r.now); err != nil {
			return err
		}
	}
	if r.o.IngestSource != "" && r.o.DB != nil {
		if r.traits, err = loadTraits(ctx, r.o.DB, r.o.IngestSource); err != nil {
			return err
		}
		if len(r.traits) > 0 {
			// The database does not see the ingested traits: criteria are
			// evaluated here, over the rows with the traits laid on.
			p.where, p.args, p.pushdown = "", nil, false
		}
	}
	if src, ok := r.incrementalSource(conn); ok {
		return r.executeIncremental(ctx, conn, src) // incremental.go
	}
	r.progress = r.o.Progress
	_, aggregates := conn.(datasource.PurchaseDayScanner)
	if p.predict && !p.criteriaPredicts && aggregates {
		// The database does the heavy part of the fit: overlap it with the
		// features scan. A stored member row keeps the member's purchase
		// days and the run the model (campaign workers score the rows when
		// they read them), so the rows stream once the days are in, while
		// the model is fitted.
		r.fit = startFit(ctx, conn, r)
		defer r.fit.stop()
	} else if p.predict && aggregates {
		// Rows are scored as they stream: the scan waits for the model
		// at its first row, while the database has been computing both.
		r.early = startFit(ctx, conn, r)
		defer r.early.stop()
	} else if p.predict {
		r.preds, err = newPredictor(ctx, conn, r.now, r.o.Progress)
		var fit *fitError
		switch {
		case errors.As(err, &fit) && !p.criteriaPredicts:
			// Membership does not depend on the model: report the rest.
			r.o.Logger.Warn("predicted CLV left out", "reason", redact.Error(err))
			r.preds, r.fitNote = nil, redact.Error(err)
		case err != nil:
			return r.dataErr(err)
		}
	}
	// The count reads only the customers table: run it beside the scan.
	var counted sync.WaitGroup
	var countErr error
	if p.pushdown {
		counted.Go(func() { r.customers, countErr = countCustomers(ctx, r.o.Source, r.now) })
	}
	defer counted.Wait()
	if p.orderMetrics {
		r.act, err = newActivity(r.now, p.window, p.wants(metrics.MetricCohortRetention))
		if err != nil {
			return err
		}
	}
	fill := func(add func(*customer.Features, *clv.ScoreInputs) error) error {
		start := time.Now()
		defer func() { r.scanTime = time.Since(start) }()
		if err := r.scan(ctx, conn, add); err != nil {
			return err
		}
		if r.fit != nil {
			if err := r.fit.finish(r); err != nil {
				return err
			}
		}
		counted.Wait() // a failed count fails the run before the snapshot commits
		return countErr
	}
	if r.o.DB == nil {
		// No snapshot to diff against: everyone counts, nobody entered.
		err := fill(func(*customer.Features, *clv.ScoreInputs) error { return nil })
		r.diff.Size = r.totals.members
		return err
	}
	start := time.Now()
	// Each member's row goes with the snapshot: campaign workers read
	// members and the features their steps need from it. Only the
	// difference is written: rows are stored without the fields that move
	// with time alone (and with a buyer's purchase days instead of the
	// day's score), so a member whose orders did not change since the last
	// run is not rewritten (the rewrite was a third of a full run's time).
	r.diff, err = r.o.DB.UpdateSegmentSnapshotRows(ctx, r.ref, r.now,
		func(add func(*customer.Features, *clv.ScoreInputs) error) (*clv.ScoreModel, error) {
			err := fill(add) // the model is in once the scan is done
			return r.scoreModel(), err
		})
	r.snapshotTime = time.Since(start) - r.scanTime
	return err
}

// scoreModel is the model the run scored its members with, for the
// snapshot (nil when it scored nobody). Valid once the scan is done.
func (r *run) scoreModel() *clv.ScoreModel {
	if r.preds == nil {
		return nil
	}
	m := r.preds.model.ScoreModel()
	return &m
}

// dataErr marks a missing file as unreachable data.
func (r *run) dataErr(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		r.reachable = false
	}
	return err
}

// scan streams the feature rows once, folding members into the totals and
// handing their rows to add, then reads the order activity the retention and
// cohort metrics need (aggregated by the database when it can: in the same
// scan when the connector returns it with the features).
func (r *run) scan(ctx context.Context, conn datasource.Connector, add func(*customer.Features, *clv.ScoreInputs) error) error {
	p := r.plan
	q := datasource.FeatureQuery{AsOf: r.now, Window: p.window, Where: p.where, Args: p.args}
	var scanned int64
	// awaitRowInputs waits for what a row needs before it is read: the
	// purchase days when the fit runs beside the stream (r.fit), the model
	// when the criteria reads it (r.early).
	daysIn := false
	awaitRowInputs := func() error {
		if r.fit != nil && !daysIn {
			daysIn = true
			return r.fit.awaitDays(r)
		}
		if r.early == nil {
			return nil
		}
		pf := r.early
		r.early = nil
		defer pf.stop()
		return pf.await(r)
	}
	row := func(f *customer.Features) (bool, error) {
		if err := awaitRowInputs(); err != nil {
			return false, err
		}
		scanned++
		if scanned%ProgressEvery == 0 {
			r.progress(Progress{Stage: "features", Rows: scanned})
		}
		return r.scanRow(f, add)
	}
	var err error
	aq, oneScan := r.oneScanActivity(conn)
	if oneScan {
		err = conn.(datasource.FeatureActivityScanner).ScanFeaturesActivity(ctx, q, aq,
			func(f *customer.Features, a *datasource.OrderActivity) error {
				member, err := row(f)
				if member {
					r.act.addWhole(f, a)
				}
				return err
			})
	} else {
		err = conn.ScanFeatures(ctx, q, func(f *customer.Features) error {
			member, err := row(f)
			if member && r.act != nil {
				r.act.addMember(f)
			}
			return err
		})
	}
	if err == nil {
		err = awaitRowInputs() // no row came: the fit's outcome still counts
	}
	if err != nil {
		return r.dataErr(err)
	}
	if ir, ok := conn.(datasource.IssueReporter); ok {
		r.issues = ir.DataIssues()
	}
	if !p.pushdown {
		r.customers = scanned
	}
	if r.act == nil || oneScan {
		return nil
	}
	return r.dataErr(r.fillActivity(ctx, conn))
}

// scanRow folds one feature row in: loyalty and traits laid on, criteria
// evaluated in Go unless pushed down, the model's score, and for a member
// the totals and add, with the member's purchase days when the model is
// asked for. It says whether f is a member.
func (r *run) scanRow(f *customer.Features, add func(*customer.Features, *clv.ScoreInputs) error) (bool, error) {
	p := r.plan
	if r.balances != nil {
		b := r.balances[f.ID]
		f.LoyaltyTier, f.LoyaltyPoints = b.tier, b.points
	}
	if r.traits != nil {
		r.traits[f.ID].Apply(f)
	}
	if r.preds != nil && p.criteriaPredicts {
		if err := r.preds.predict(f); err != nil {
			return false, err
		}
	}
	if !p.pushdown {
		ok, err := p.program.Matches(f)
		if err != nil {
			// A runtime error (e.g. a missing attribute) means "not a
			// member"; only the count is logged, never the customer.
			r.evalErrors++
			return false, nil
		}
		if !ok {
			return false, nil
		}
	}
	var days *clv.ScoreInputs
	switch {
	case r.fit != nil:
		// Only the metric needs the model: score members alone, once
		// the fit running beside this scan is in.
		days = r.fit.add(f.ID)
	case r.preds != nil:
		if !p.criteriaPredicts {
			if err := r.preds.predict(f); err != nil {
				return false, err
			}
		}
		days = r.preds.inputs(f.ID)
	}
	r.totals.add(f)
	return true, add(f, days)
}
