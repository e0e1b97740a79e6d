package metrics

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/redact"
)

// pendingFit is a model being fitted while the database computes the
// features. When only the predictedCLV metric needs the model (the criteria
// does not read it) and no snapshot is stored, the purchase-day aggregate
// and the features scan run side by side, the members' ids are kept, and
// they are scored once the fit is in (finish) — still before the snapshot
// commits, so a read error fails the run cleanly. Otherwise each row must be
// scored as it streams: the features query is sent at once, so the database
// aggregates the features while it aggregates the purchase days, and its
// rows are read once the model is in (await).
type pendingFit struct {
	done   chan struct{}
	preds  *predictor
	err    error
	cancel context.CancelFunc
	// members waiting to be scored.
	members []string
}

// startFit fits in the background; wait must be called on every path.
func startFit(ctx context.Context, conn datasource.Connector, r *run) *pendingFit {
	ctx, cancel := context.WithCancel(ctx)
	pf := &pendingFit{done: make(chan struct{}), cancel: cancel}
	var mu sync.Mutex // Progress is called from the scan too
	progress := func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		r.o.Progress(p)
	}
	r.progress = progress
	go func() {
		defer close(pf.done)
		pf.preds, pf.err = newPredictor(ctx, conn, r.now, progress)
	}()
	return pf
}

// add keeps a member's id for scoring.
func (pf *pendingFit) add(id string) { pf.members = append(pf.members, strings.Clone(id)) }

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
	clvs, err := scoreAll(r.preds, pf.members)
	if err != nil {
		return err
	}
	// An exact sum: the total does not depend on how the work was split.
	for _, v := range clvs {
		r.totals.predictedCLV.add(v)
	}
	pf.members = nil
	return nil
}

// scoreAll predicts each id's CLV, splitting the ids over the CPUs: scoring
// (a hypergeometric function per member) is most of the Go time of a run.
func scoreAll(p *predictor, ids []string) ([]float64, error) {
	out := make([]float64, len(ids))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(ids)/1024))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(ids)/workers, (w+1)*len(ids)/workers
		wg.Go(func() {
			var f customer.Features
			for i := lo; i < hi; i++ {
				f.ID = ids[i]
				if err := p.predict(&f); err != nil {
					errs[w] = err
					return
				}
				out[i] = f.PredictedCLV
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}
