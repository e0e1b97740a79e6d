package metrics

import (
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// CohortMatrix is monthly cohort retention. Cohort c is the customers whose
// first order falls in month Months[c]; Retention[c][k] is the share (0..1)
// of cohort c with at least one order in month c+k, for the months up to the
// last one of the range (so row c has len(Months)-c cells and
// Retention[c][0] = 1 for a non-empty cohort). An empty cohort has zeros.
type CohortMatrix struct {
	Months    []string    `json:"months"` // "2006-01"
	Sizes     []int       `json:"sizes"`
	Retention [][]float64 `json:"retention"`
}

// monthIndex numbers calendar months in UTC: year·12 + month-1.
func monthIndex(t time.Time) int {
	t = t.UTC()
	return t.Year()*12 + int(t.Month()) - 1
}

// cohortCustomer is the bounded per-customer state: the first order month
// seen so far and one bit per month of the range with an order. Its size is
// fixed by the range, not by the number of orders.
type cohortCustomer struct {
	first  int
	active []uint64
}

// CohortBuilder accumulates orders one at a time, in any order, into a
// monthly cohort matrix over the months from..to (inclusive, UTC). Memory is
// one cohortCustomer per customer: O(customers × months/64) words.
type CohortBuilder struct {
	from, months int
	customers    map[string]*cohortCustomer
}

// NewCohortBuilder covers the calendar months containing from through to.
// The range is capped at 240 months to keep per-customer state small.
func NewCohortBuilder(from, to time.Time) (*CohortBuilder, error) {
	f, l := monthIndex(from), monthIndex(to)
	if l < f {
		return nil, fmt.Errorf("cohort range ends (%s) before it starts (%s)", to.UTC().Format("2006-01"), from.UTC().Format("2006-01"))
	}
	if l-f+1 > 240 {
		return nil, fmt.Errorf("cohort range of %d months is longer than 240; shorten the window", l-f+1)
	}
	return &CohortBuilder{from: f, months: l - f + 1, customers: make(map[string]*cohortCustomer)}, nil
}

// Add records one order. Orders before the range still count: they make the
// customer's cohort earlier than the range, so the customer is left out of
// every cohort shown (they are not new in any of its months).
func (b *CohortBuilder) Add(o customer.Order) {
	m := monthIndex(o.OccurredAt)
	c := b.customers[o.CustomerID]
	if c == nil {
		c = &cohortCustomer{first: m}
		b.customers[o.CustomerID] = c
	}
	c.first = min(c.first, m)
	if off := m - b.from; off >= 0 && off < b.months {
		if c.active == nil {
			c.active = make([]uint64, (b.months+63)/64)
		}
		c.active[off/64] |= 1 << (off % 64)
	}
}

// Matrix returns the cohort matrix of the orders added so far.
func (b *CohortBuilder) Matrix() CohortMatrix {
	m := CohortMatrix{
		Months:    make([]string, b.months),
		Sizes:     make([]int, b.months),
		Retention: make([][]float64, b.months),
	}
	counts := make([][]int, b.months)
	for c := range b.months {
		idx := b.from + c
		m.Months[c] = fmt.Sprintf("%04d-%02d", idx/12, idx%12+1)
		counts[c] = make([]int, b.months-c)
	}
	for _, cust := range b.customers {
		c := cust.first - b.from
		if c < 0 || c >= b.months {
			continue
		}
		m.Sizes[c]++
		for k := range counts[c] {
			off := c + k
			if cust.active[off/64]&(1<<(off%64)) != 0 {
				counts[c][k]++
			}
		}
	}
	for c := range b.months {
		m.Retention[c] = make([]float64, len(counts[c]))
		if m.Sizes[c] == 0 {
			continue
		}
		for k, n := range counts[c] {
			m.Retention[c][k] = float64(n) / float64(m.Sizes[c])
		}
	}
	return m
}
