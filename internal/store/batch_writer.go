package store

import (
	"context"
	"sync"
)

// batchWriter writes batches on one goroutine while the caller goes on
// producing the next: the snapshot's rows are read from the data source on
// one connection and written to the state store on another, so neither
// waits for the other (a first run writes every member; written inline,
// each batch held the data source's stream still). One batch is written
// while one more waits, so memory holds at most three batches.
type batchWriter[B any] struct {
	batches chan B
	done    chan struct{}
	// err is the first write's error; once set, later batches are dropped
	// and send reports it, so the producer stops early.
	mu  sync.Mutex
	err error
}

func newBatchWriter[B any](ctx context.Context, write func(context.Context, B) error) *batchWriter[B] {
	w := &batchWriter[B]{batches: make(chan B, 1), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for b := range w.batches {
			if w.failed() != nil {
				continue // drain: the producer is told at its next send
			}
			if err := write(ctx, b); err != nil {
				w.mu.Lock()
				w.err = err
				w.mu.Unlock()
			}
		}
	}()
	return w
}

func (w *batchWriter[B]) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// send hands b over (the caller must not touch it again) and returns an
// earlier batch's error, if any.
func (w *batchWriter[B]) send(b B) error {
	if err := w.failed(); err != nil {
		return err
	}
	w.batches <- b
	return nil
}

// wait writes what is left and returns the first error. It must be called
// once, on every path, before the connection the writes use is used again.
func (w *batchWriter[B]) wait() error {
	close(w.batches)
	<-w.done
	return w.failed()
}
