package groupcommit

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestEveryItemDrainedOnceByOneLeader: many goroutines add at once; each item
// is taken exactly once, and at no time do two leaders drain together.
func TestEveryItemDrainedOnceByOneLeader(t *testing.T) {
	var q Queue[int]
	var mu sync.Mutex
	seen := map[int]int{}
	var draining, overlaps atomic.Int32
	var wg sync.WaitGroup
	for i := range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !q.Add(i) {
				return
			}
			for batch := q.Take(); len(batch) > 0; batch = q.Take() {
				if draining.Add(1) > 1 {
					overlaps.Add(1)
				}
				mu.Lock()
				for _, item := range batch {
					seen[item]++
				}
				mu.Unlock()
				draining.Add(-1)
			}
		}()
	}
	wg.Wait()
	if len(seen) != 1000 {
		t.Fatalf("%d items drained, want 1000", len(seen))
	}
	for item, n := range seen {
		if n != 1 {
			t.Fatalf("item %d drained %d times", item, n)
		}
	}
	if n := overlaps.Load(); n != 0 {
		t.Fatalf("two leaders drained at once %d times", n)
	}
}

// TestLeadPassesOnWhenEmpty: after the leader's Take comes back empty, the
// next Add leads again.
func TestLeadPassesOnWhenEmpty(t *testing.T) {
	var q Queue[string]
	if !q.Add("a") {
		t.Fatal("first Add did not lead")
	}
	if q.Add("b") {
		t.Fatal("second Add led while the first leads")
	}
	if got := q.Take(); len(got) != 2 {
		t.Fatalf("Take = %v, want [a b]", got)
	}
	if got := q.Take(); got != nil {
		t.Fatalf("Take = %v, want nothing", got)
	}
	if !q.Add("c") {
		t.Fatal("Add after the lead was given up did not lead")
	}
}
