package datasource

import (
	"hash/maphash"
	"maps"
	"sync"
)

// Kinds of data issue a file scan skips and counts instead of folding into
// the figures. They are the keys of DataIssues.
const (
	// IssueDuplicateOrder is an order row whose customer id and order id
	// repeat an earlier row: counted once, the repeat skipped.
	IssueDuplicateOrder = "duplicateOrderId"
	// IssueDuplicateCustomer is a customers row whose id repeats an earlier
	// row: the first row wins, the repeat is skipped.
	IssueDuplicateCustomer = "duplicateCustomerId"
	// IssueOrphanOrder is an order of a customer id the customers file does
	// not have (as the SQL join drops it).
	IssueOrphanOrder = "orphanOrder"
)

// IssueReporter is implemented by connectors that skip rows they cannot
// count and tally them by kind. DataIssues returns the tallies of the last
// ScanFeatures (nil when it found none); the worker reports them.
type IssueReporter interface {
	DataIssues() map[string]int64
}

// issueCounts is a connector's tally; scans may run beside each other.
type issueCounts struct {
	mu sync.Mutex
	n  map[string]int64
}

func (c *issueCounts) reset() {
	c.mu.Lock()
	c.n = nil
	c.mu.Unlock()
}

func (c *issueCounts) add(kind string, n int64) {
	if n == 0 {
		return
	}
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int64{}
	}
	c.n[kind] += n
	c.mu.Unlock()
}

func (c *issueCounts) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.n) == 0 {
		return nil
	}
	return maps.Clone(c.n)
}

// orderKeys remembers the (customer id, order id) pairs of one scan as 64-bit
// hashes: 8 bytes an order instead of the two strings, so a scan's memory
// grows with orders at a small fraction of what the rows would cost. The
// chance of any collision is about n²/2^65 (3 in a million at ten million
// orders); one would skip a genuine order, and the count shows it.
type orderKeys struct {
	seed maphash.Seed
	seen map[uint64]struct{}
}

func newOrderKeys() *orderKeys {
	return &orderKeys{seed: maphash.MakeSeed(), seen: map[uint64]struct{}{}}
}

// repeat records the pair and reports whether it was seen before.
func (k *orderKeys) repeat(customerID, orderID string) bool {
	var h maphash.Hash
	h.SetSeed(k.seed)
	h.WriteString(customerID)
	h.WriteByte(0)
	h.WriteString(orderID)
	sum := h.Sum64()
	if _, ok := k.seen[sum]; ok {
		return true
	}
	k.seen[sum] = struct{}{}
	return false
}
