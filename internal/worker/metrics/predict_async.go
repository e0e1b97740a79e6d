package metrics

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/redact"
)

// pendingFit is a model being fitted while the database computes the
// features, in two stages: every buyer's purchase days (the database's
// aggregate, running beside the features query), then the fit (Go).
//
// When only the predictedCLV metric needs the model (the criteria does not
// read it), the feature rows are read as soon as the purchase days are in:
// a member's stored row needs its purchase days, not the model (the run
// stores the model once), so the rows stream and the snapshot's diff runs
// while the model is fitted. The members are kept (an index each) and
// scored once the fit is in (finish), still before the snapshot commits, so
// a read error fails the run cleanly. When the criteria reads the model,
// each row must be scored as it streams: its rows are read once the model
// is in (await); the database has been computing both meanwhile.
type pendingFit struct {
	daysIn chan struct{} // closed when buyers (or daysErr) are set
	buyers buyers
	// daysErr is the purchase days' read error.
	daysErr error
	done    chan struct{} // closed when preds (or err) are set
	preds   *predictor
	err     error
	cancel  context.CancelFunc
	// members are the indices in buyers of the members waiting to be scored.
	members []int32
}

// startFit fits in the background; stop must be called on every path.
func startFit(ctx context.Context, conn datasource.Connector, r *run) *pendingFit {
	ctx, cancel := context.WithCancel(ctx)
	pf := &pendingFit{daysIn: make(chan struct{}), done: make(chan struct{}), cancel: cancel}
	var mu sync.Mutex // Progress is called from the scan too
	progress := func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		r.o.Progress(p)
	}
	r.progress = progress
	go func() {
		defer close(pf.done)
		pf.buyers, pf.daysErr = loadBuyers(ctx, conn, r.now, progress)
		close(pf.daysIn)
		if pf.err = pf.daysErr; pf.err == nil {
			pf.preds, pf.err = fitBuyers(pf.buyers, r.now)
		}
	}()
	return pf
}

// awaitDays waits for the purchase days: a read error fails the run.
func (pf *pendingFit) awaitDays(r *run) error {
	<-pf.daysIn
	return r.dataErr(pf.daysErr)
}

// add keeps a member for scoring and returns its purchase days (nil for a
// customer who never bought, whose predicted fields are zero). The days
// must be in (awaitDays).
func (pf *pendingFit) add(id string) *clv.ScoreInputs {
	i := pf.buyers.index(id)
	if i < 0 {
		return nil
	}
	pf.members = append(pf.members, int32(i))
	return &pf.buyers.inputs[i]
}

// stop cancels an unfinished fit (a failed scan) and waits for it.
func (pf *pendingFit) stop() {
	pf.cancel()
	<-pf.done
}

// await waits for the fit and installs the model in r.preds. A model that
// cannot be fitted leaves the metric out (r.preds nil, the reason in
// r.fitNote) unless the criteria reads it, which fails the run.
func (pf *pendingFit) await(r *run) error {
	<-pf.done
	pf.cancel()
	var fit *fitError
	switch {
	case errors.As(pf.err, &fit) && !r.plan.criteriaPredicts:
		r.o.Logger.Warn("predicted CLV left out", "reason", redact.Error(pf.err))
		r.preds, r.fitNote = nil, redact.Error(pf.err)
		return nil
	case pf.err != nil:
		return r.dataErr(pf.err)
	}
	r.preds = pf.preds
	return nil
}

// finish waits for the fit and adds the members' predicted CLV to the
// totals.
func (pf *pendingFit) finish(r *run) error {
	if err := pf.await(r); err != nil || r.preds == nil {
		return err
	}
	err := r.addMemberScores(pf.members)
	pf.members = nil
	return err
}

// addMemberScores scores the members at the given indices of r.preds.buyers
// and adds their predicted CLV to the totals.
func (r *run) addMemberScores(members []int32) error {
	clvs, err := scoreAll(r.preds, members)
	if err != nil {
		return err
	}
	// An exact sum: the total does not depend on how the work was split.
	for _, v := range clvs {
		r.totals.predictedCLV.add(v)
	}
	return nil
}

// scoreAll predicts the CLV of the buyers at the given indices, splitting
// them over the CPUs: scoring (hypergeometric functions per member) is most
// of the Go time of a run.
func scoreAll(p *predictor, members []int32) ([]float64, error) {
	out := make([]float64, len(members))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(members)/1024))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(members)/workers, (w+1)*len(members)/workers
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				in := &p.buyers.inputs[members[i]]
				_, value, err := p.model.Score(in.Summary("", p.endDay, predictUnit))
				if err != nil {
					errs[w] = fmt.Errorf("predicted CLV: %w", err)
					return
				}
				out[i] = value
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}
