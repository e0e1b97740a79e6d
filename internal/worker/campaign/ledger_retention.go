package campaign

import (
	"context"
)

// ledgerSweepBatch bounds the ledger rows one loop clears of address and
// bodies: a backlog (a first run after upgrading, a long retention made
// short) is worked off over several polls instead of one long statement.
const ledgerSweepBatch = 1000

// sweepLedger clears the content of the playbook's finished ledger rows
// older than its retention period (spec.ledgerRetention, default
// journey.DefaultLedgerRetention). It runs while suspended too: keeping
// addresses is not paused with sending. A failure is logged and retried on
// the next poll; it never stops the worker.
func (w *worker) sweepLedger(ctx context.Context) {
	before := w.o.Clock().Add(-w.o.Playbook.Retention())
	n, err := w.db.SweepDeliveryContent(ctx, w.pb.Name, before, ledgerSweepBatch)
	if err != nil {
		if ctx.Err() == nil {
			w.o.Logger.Warn("clearing old ledger content failed; retrying on the next poll", "playbook", w.pb.Name, "err", err)
		}
		return
	}
	if n > 0 {
		w.o.Logger.Debug("cleared old ledger content", "playbook", w.pb.Name, "rows", n)
	}
}
