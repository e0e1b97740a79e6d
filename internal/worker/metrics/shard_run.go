package metrics

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/redact"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/store"
)

// Shard is this pod's place in a sharded run (spec.shards > 1): the run is
// the pods of one Indexed Job (RunID, the Job's uid) and Index is the pod's
// completion index.
type Shard struct {
	RunID string
	Index int
}

// abandonedAfter is when a sharded run that never published (its Job
// failed or was deleted) has its stored parts deleted by a later run.
const abandonedAfter = 24 * time.Hour

// RunShard computes one shard of a sharded run: the members and figures of
// the customers in hash partition sh.Index of spec.shards (every read of the
// data source restricted to them), stored in the state store keyed by
// (run, shard). The shard that finishes last (store.FinishShard decides, in
// a transaction) merges every shard's part and publishes one snapshot and one
// report, with the membership and figures one pod computes for the same
// AsOf. publish says whether sum is for the report ConfigMap: true for the
// publishing shard and for a failed one, false for a shard that finished
// and left the publishing to another.
func RunShard(ctx context.Context, o Options, sh Shard) (sum report.Segment, publish bool, err error) {
	o.defaults()
	now := o.Clock().UTC().Truncate(time.Millisecond)
	sum = report.Segment{RunTime: now}
	ref := store.SegmentRef{Namespace: o.Namespace, Name: o.Name}
	fail := func(err error) (report.Segment, bool, error) {
		sum.Error = redact.Error(err)
		if o.DB != nil {
			if rerr := o.DB.RecordSegmentFailure(ctx, ref, sum.RunTime, sum.Error); rerr != nil {
				o.Logger.Error("record failed run", "err", redact.Error(rerr))
			}
		}
		o.Logger.Error("segment shard failed", "segment", ref.Key(), "shard", sh.Index, "err", sum.Error)
		return sum, true, err
	}
	n := o.Segment.ShardCount()
	switch {
	case o.DB == nil:
		return sum, true, errors.New("spec.shards > 1 needs a state store: the shards meet there")
	case sh.RunID == "":
		return sum, true, errors.New("sharded run: no run id (the pod's Job uid); run the metric job as the operator's Indexed Job")
	case sh.Index < 0 || sh.Index >= n:
		return sum, true, fmt.Errorf("sharded run: completion index %d is not between 0 and spec.shards-1 = %d", sh.Index, n-1)
	}
	for _, migrate := range []func(context.Context) error{o.DB.MigrateSegments, o.DB.MigrateSegmentShards} {
		if err := migrate(ctx); err != nil {
			return fail(fmt.Errorf("state store: %w", err))
		}
	}
	if prev, ok, err := o.DB.LastSegmentRun(ctx, ref); err != nil {
		return fail(fmt.Errorf("state store: %w", err))
	} else if ok && !prev.LastSuccessAt.IsZero() {
		t := prev.LastSuccessAt
		sum.LastSuccess = &t
	}
	sr := store.ShardRun{Segment: ref, ID: sh.RunID, Shards: n, SpecHash: specHash(o)}
	asOf, published, err := o.DB.JoinShardRun(ctx, sr, now)
	if err != nil {
		return fail(err)
	}
	sum.RunTime = asOf
	if published {
		return publishedReport(ctx, o, sr)
	}
	r := &run{o: o, now: asOf, ref: ref}
	started := time.Now()
	last, err := r.executeShard(ctx, sr, sh.Index)
	sum.DataSourceReachable = r.reachable
	if err != nil {
		return fail(err)
	}
	o.Logger.Info("segment shard finished", "segment", ref.Key(), "shard", sh.Index, "shards", n, "last", last,
		"members", r.totals.members, "duration", time.Since(started).Round(time.Millisecond).String())
	if !last {
		return sum, false, nil
	}
	return r.publishShards(ctx, sr, sum)
}

// specHash identifies the spec the pods run, so that pods of one run that
// read different specs (an edit while the Job ran) do not mix their parts.
func specHash(o Options) string {
	// The DSN is left out: it carries the password, and an unsalted hash of
	// it has no place in the state store. Pods of one Job share the Secret.
	o.Source.DSN = ""
	b, _ := json.Marshal(struct {
		Spec    any
		Source  sourceconfig.Config
		Loyalty any
		Ingest  string
	}{o.Segment, o.Source, o.Loyalty, o.IngestSource})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// executeShard scans partition index of the data source and stores the
// shard's members, CLV summaries and partial figures; last says whether
// every shard has now finished.
func (r *run) executeShard(ctx context.Context, sr store.ShardRun, index int) (last bool, err error) {
	p, err := newPlan(r.o.Segment, r.o.Source.Kind)
	if err != nil {
		return false, err
	}
	r.plan = p
	whole := r.o.Source
	if err := whole.Validate(); err != nil {
		return false, fmt.Errorf("data source config: %w", err)
	}
	// Every read below (features, purchase days, order activity, and the
	// customer count, which reads r.o.Source) sees this shard's customers.
	r.o.Source, err = datasource.Partitioned(whole, datasource.Partition{Index: index, Count: sr.Shards})
	if err != nil {
		return false, err
	}
	conn, err := datasource.Open(ctx, r.o.Source)
	if err != nil {
		return false, fmt.Errorf("data source unreachable: %w", err)
	}
	defer conn.Close()
	r.reachable = true
	r.progress = r.o.Progress
	if r.o.Loyalty != nil {
		if r.balances, err = loadBalances(ctx, r.o.DB, r.o.Loyalty, r.now); err != nil {
			return false, err
		}
	}
	if r.o.IngestSource != "" {
		if r.traits, err = loadTraits(ctx, r.o.DB, r.o.IngestSource); err != nil {
			return false, err
		}
		if len(r.traits) > 0 {
			p.where, p.args, p.pushdown = "", nil, false // as in execute
		}
	}
	var summaries []clv.Summary
	switch {
	case p.criteriaPredicts:
		// Membership reads the model, so this shard needs it before its
		// scan: it fits on every buyer (the whole source, unpartitioned),
		// as one pod does. Every shard fits the same model from the same rows.
		if err := r.fitWhole(ctx, whole); err != nil {
			return false, err
		}
	case p.predict:
		// Only the metric reads the model: the shard hands its buyers'
		// summaries to the publishing pod, which fits on all of them.
		if summaries, err = partitionSummaries(ctx, conn, r.now, r.progress); err != nil {
			return false, r.dataErr(err)
		}
	}
	if p.pushdown {
		if r.customers, err = countCustomers(ctx, r.o.Source, r.now); err != nil {
			return false, err
		}
	}
	if p.orderMetrics {
		if r.act, err = newActivity(r.now, p.window, p.wants("cohortRetention")); err != nil {
			return false, err
		}
	}
	start := time.Now()
	last, err = r.o.DB.FinishShard(ctx, sr, index, func(w *store.ShardWriter) error {
		for _, s := range summaries {
			if err := w.Summary(s); err != nil {
				return err
			}
		}
		return r.scan(ctx, conn, func(f *customer.Features, _ *clv.ScoreInputs) error { return w.Member(f) })
	}, func() (string, error) {
		b, err := json.Marshal(r.partial())
		return string(b), err
	})
	r.scanTime = time.Since(start)
	return last, err
}

// fitWhole fits the model on the unpartitioned source into r.preds.
func (r *run) fitWhole(ctx context.Context, whole sourceconfig.Config) error {
	full, err := datasource.Open(ctx, whole)
	if err != nil {
		return fmt.Errorf("data source unreachable: %w", err)
	}
	defer full.Close()
	r.preds, err = newPredictor(ctx, full, r.now, r.progress)
	return r.dataErr(err) // a fitError fails the run: membership needs the model
}

// partitionSummaries are the CLV summaries of the partition's buyers.
func partitionSummaries(ctx context.Context, conn datasource.Connector, asOf time.Time, progress func(Progress)) ([]clv.Summary, error) {
	buyers, err := loadBuyers(ctx, conn, asOf, progress)
	if err != nil {
		return nil, err
	}
	return summariesOf(buyers, asOf), nil
}

// publishShards merges every shard's part, publishes the snapshot and
// returns the report. A pod that finds the run already published (a retried
// last shard beside the first) returns that run's report instead.
func (r *run) publishShards(ctx context.Context, sr store.ShardRun, sum report.Segment) (report.Segment, bool, error) {
	p := r.plan
	parts, err := r.o.DB.ShardPartials(ctx, sr)
	if err != nil {
		return r.failPublish(ctx, sum, err)
	}
	if len(parts) != sr.Shards {
		return r.failPublish(ctx, sum, fmt.Errorf("sharded run %s: %d of %d shards finished", sr.ID, len(parts), sr.Shards))
	}
	// A fresh run state: the figures are the parts' sums, nothing of this
	// pod's own shard counts twice.
	m := &run{o: r.o, now: r.now, ref: r.ref, plan: p, reachable: true}
	if p.orderMetrics {
		if m.act, err = newActivity(m.now, p.window, p.wants("cohortRetention")); err != nil {
			return r.failPublish(ctx, sum, err)
		}
	}
	score := p.predict && !p.criteriaPredicts
	if score {
		rows, err := r.o.DB.ShardSummaries(ctx, sr)
		if err != nil {
			return r.failPublish(ctx, sum, err)
		}
		// The order one pod fits in (loadBuyers sorts the same way).
		slices.SortFunc(rows, func(a, b clv.Summary) int { return strings.Compare(a.CustomerID, b.CustomerID) })
		m.preds, err = fitPredictor(rows, m.now)
		var fit *fitError
		switch {
		case errors.As(err, &fit):
			r.o.Logger.Warn("predicted CLV left out", "reason", redact.Error(err))
			m.preds, m.fitNote = nil, redact.Error(err)
		case err != nil:
			return r.failPublish(ctx, sum, err)
		}
	} else if p.criteriaPredicts {
		m.preds = r.preds // fitted by this shard on every buyer; the parts carry the members' CLV
	}
	for shard := range sr.Shards {
		raw, ok := parts[shard]
		if !ok {
			return r.failPublish(ctx, sum, fmt.Errorf("sharded run %s: shard %d has not finished", sr.ID, shard))
		}
		if err := m.merge(raw, score); err != nil {
			return r.failPublish(ctx, sum, fmt.Errorf("sharded run %s shard %d: %w", sr.ID, shard, err))
		}
	}
	start := time.Now()
	diff, _, err := r.o.DB.PublishShardSnapshot(ctx, sr, func(add func(f *customer.Features) error) error {
		return r.o.DB.ShardMembers(ctx, sr, func(f *customer.Features) error {
			if score && m.preds != nil {
				if err := m.preds.predict(f); err != nil {
					return err
				}
				m.totals.predictedCLV.add(f.PredictedCLV)
			}
			return add(f)
		})
	})
	if errors.Is(err, store.ErrShardRunPublished) {
		return publishedReport(ctx, r.o, sr)
	}
	if err != nil {
		return r.failPublish(ctx, sum, err)
	}
	sum.Succeeded, sum.DataSourceReachable = true, true
	t := r.now
	sum.LastSuccess = &t
	sum.Size, sum.Entered, sum.Exited = diff.Size, diff.Entered, diff.Exited
	sum.Customers, sum.DataIssues = m.customers, m.issues
	values := m.metricValues()
	sum.Metrics = m.metricFigures(values)
	sum.MetricNotes = m.metricNotes(values)
	sum.Cohorts = m.cohorts()
	if b, err := json.Marshal(sum); err == nil {
		if err := r.o.DB.SetShardRunReport(ctx, sr, string(b)); err != nil {
			r.o.Logger.Warn("keep the sharded run's report", "err", redact.Error(err))
		}
	}
	if err := r.o.DB.CleanShardRuns(ctx, sr, r.now.Add(-abandonedAfter)); err != nil {
		r.o.Logger.Warn("clean up sharded runs", "err", redact.Error(err))
	}
	r.o.Logger.Info("segment run finished", "segment", r.ref.Key(), "shards", sr.Shards, "customers", sum.Customers,
		"size", sum.Size, "entered", sum.Entered, "exited", sum.Exited, "criteriaErrors", m.evalErrors,
		"dataIssues", sum.DataIssues, "publish", time.Since(start).Round(time.Millisecond).String())
	return sum, true, nil
}

// failPublish records a failed merge as a failed run.
func (r *run) failPublish(ctx context.Context, sum report.Segment, err error) (report.Segment, bool, error) {
	sum.Error = redact.Error(err)
	if rerr := r.o.DB.RecordSegmentFailure(ctx, r.ref, r.now, sum.Error); rerr != nil {
		r.o.Logger.Error("record failed run", "err", redact.Error(rerr))
	}
	r.o.Logger.Error("segment run failed", "segment", r.ref.Key(), "err", sum.Error)
	return sum, true, err
}

// publishedReport is the report another pod of the run published; publish
// is false (nothing to write) when it kept none.
func publishedReport(ctx context.Context, o Options, sr store.ShardRun) (report.Segment, bool, error) {
	raw, err := o.DB.ShardRunReport(ctx, sr)
	if err != nil || raw == "" {
		return report.Segment{}, false, err
	}
	var sum report.Segment
	if err := json.Unmarshal([]byte(raw), &sum); err != nil {
		return report.Segment{}, false, fmt.Errorf("sharded run %s: stored report: %w", sr.ID, err)
	}
	o.Logger.Info("sharded run already published; publishing its report again", "segment", sr.Segment.Key(), "run", sr.ID)
	return sum, true, nil
}
