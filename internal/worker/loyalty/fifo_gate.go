package loyalty

import (
	"context"
	"net/http"
)

// fifoGate admits at most n requests at a time to the ledger, in arrival
// order. The API sizes it to the connection pool so that an admitted request
// finds a free connection: database/sql hands a freed connection to a
// RANDOM waiter (connRequestSet.TakeRandom), so with more requests than
// connections an unlucky request waited through dozens of handoffs. With 32
// clients on the default 16 connections that random wait was most of the
// redemption p99. A channel's blocked senders are served first come, first
// served, so behind the gate a request waits for about (queue ahead) / n
// transactions.
type fifoGate chan struct{}

func newFIFOGate(n int) fifoGate {
	if n <= 0 {
		return nil
	}
	return make(fifoGate, n)
}

// enter waits for a place (false: ctx ended first); leave gives it back.
// A nil gate admits everyone.
func (g fifoGate) enter(ctx context.Context) bool {
	if g == nil {
		return true
	}
	select {
	case g <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (g fifoGate) leave() {
	if g != nil {
		<-g
	}
}

// gated runs h inside the gate; a request whose client gave up while queued
// gets 503 without touching the ledger.
func (g fifoGate) gated(h func(w http.ResponseWriter, r *http.Request, id string)) func(w http.ResponseWriter, r *http.Request, id string) {
	return func(w http.ResponseWriter, r *http.Request, id string) {
		if !g.enter(r.Context()) {
			writeError(w, 503, "request cancelled", "")
			return
		}
		defer g.leave()
		h(w, r, id)
	}
}
