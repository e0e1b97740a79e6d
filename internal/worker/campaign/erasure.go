package campaign

import "context"

// dropErased forgets, in this shard's memory, customers erased since the
// last round (retentionctl forget or the loyalty API's erasure route):
// their journeys, trigger observations and snapshot rows. The store already
// holds them only under a tombstone, and a batch never writes them back
// (store.JourneyTxLeased); this keeps the worker from working on them at
// all. One count query per round while nothing changes.
func (w *worker) dropErased(ctx context.Context) error {
	if w.erased == nil {
		w.erased = w.db.ErasureList()
	}
	changed, err := w.erased.Refresh(ctx)
	if err != nil || !changed {
		return err
	}
	for id := range w.states {
		if w.erased.Has(id) {
			delete(w.states, id)
		}
	}
	for id := range w.seen {
		if w.erased.Has(id) {
			delete(w.seen, id)
		}
	}
	for id := range w.snap.members {
		if w.erased.Has(id) {
			delete(w.snap.members, id)
			delete(w.snap.feats, id)
		}
	}
	return nil
}
