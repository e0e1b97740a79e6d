// Package groupcommit hands queued work to one leader at a time: the first
// caller to queue an item while no one leads becomes the leader and drains
// the queue round by round; items queued meanwhile ride in its next round.
// A slow commit (a WAL flush, a PostgreSQL notification) is then paid once
// per round, not once per item.
package groupcommit

import "sync"

// Queue is the leader-drained queue. Its zero value is ready to use.
type Queue[T any] struct {
	mu      sync.Mutex
	items   []T
	leading bool
}

// Add queues item and says whether the caller has just become the leader:
// a leader must call Take until it returns nothing.
func (q *Queue[T]) Add(item T) (lead bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = append(q.items, item)
	if q.leading {
		return false
	}
	q.leading = true
	return true
}

// Take hands the leader everything queued; when nothing is, it gives up the
// lead, so the next Add's caller leads.
func (q *Queue[T]) Take() []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	batch := q.items
	q.items = nil
	if len(batch) == 0 {
		q.leading = false
	}
	return batch
}
