package loyalty

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFIFOGateBoundsAndCancels: never more than n inside at once, everyone
// gets in eventually, and a waiter whose context ends leaves the queue.
func TestFIFOGateBoundsAndCancels(t *testing.T) {
	g := newFIFOGate(3)
	var inside, most, served atomic.Int64
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !g.enter(context.Background()) {
				t.Error("refused without a cancelled context")
				return
			}
			n := inside.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			served.Add(1)
			g.leave()
		}()
	}
	wg.Wait()
	if most.Load() > 3 || served.Load() != 40 {
		t.Fatalf("at most %d inside, %d served; want <= 3 and 40", most.Load(), served.Load())
	}

	for range 3 {
		g.enter(context.Background())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if g.enter(ctx) {
		t.Fatal("entered a full gate")
	}
	g.leave()
	if !g.enter(context.Background()) {
		t.Fatal("a freed place was not given to the next request")
	}
	if newFIFOGate(0) != nil || !fifoGate(nil).enter(ctx) {
		t.Fatal("a gate of size 0 must admit everyone")
	}
}
