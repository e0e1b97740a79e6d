package store

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// Batches are written in the order sent; after a failed write the rest are
// dropped, the producer is told at a later send, and wait returns the error.
func TestBatchWriterOrderAndFirstError(t *testing.T) {
	var written []int
	w := newBatchWriter(context.Background(), func(_ context.Context, b int) error {
		written = append(written, b)
		return nil
	})
	for b := range 10 {
		if err := w.send(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.wait(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(written, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Fatalf("written %v", written)
	}

	boom := errors.New("disk full")
	var tried []int
	w = newBatchWriter(context.Background(), func(_ context.Context, b int) error {
		tried = append(tried, b)
		if b == 2 {
			return boom
		}
		return nil
	})
	var sendErr error
	for b := 0; b < 1000 && sendErr == nil; b++ {
		sendErr = w.send(b)
	}
	if !errors.Is(sendErr, boom) {
		t.Fatalf("send kept accepting batches after the write failed: %v", sendErr)
	}
	if err := w.wait(); !errors.Is(err, boom) {
		t.Fatalf("wait = %v, want %v", err, boom)
	}
	if tried[len(tried)-1] != 2 {
		t.Fatalf("batches written after the failure: %v", tried)
	}
}
