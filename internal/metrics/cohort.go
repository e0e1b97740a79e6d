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
	// extra are counts of customers kept elsewhere (AddCounts).
	extra *CohortCounts
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

// CohortCounts is a cohort matrix before its division: how many customers
// each cohort has and how many of them ordered in each later month. Counts of
// disjoint sets of customers add up (a sharded metric job adds its shards'),
// and Matrix divides them exactly as CohortBuilder.Matrix does.
type CohortCounts struct {
	// From is the first month of the range (year·12 + month-1, UTC).
	From int `json:"from"`
	// Sizes[c] is cohort c's size; Active[c][k] how many of it ordered in month c+k.
	Sizes  []int   `json:"sizes"`
	Active [][]int `json:"active"`
}

// Counts returns the counts of the orders added so far (and of AddCounts).
func (b *CohortBuilder) Counts() CohortCounts {
	cc := *newCohortCounts(b.from, b.months)
	for _, cust := range b.customers {
		c := cust.first - b.from
		if c < 0 || c >= b.months {
			continue
		}
		cc.Sizes[c]++
		for k := range cc.Active[c] {
			off := c + k
			if cust.active[off/64]&(1<<(off%64)) != 0 {
				cc.Active[c][k]++
			}
		}
	}
	if b.extra != nil {
		cc.add(*b.extra)
	}
	return cc
}

// AddCustomer records a customer whose history is known whole: the first
// order ever and the months of the range with an order (bit k for the
// range's month k, so a range of at most 64 months). It is what Add gives
// for all of the customer's orders, counted at once, so the builder keeps no
// state for the customer. A customer must be added by AddCustomer or Add,
// not both.
func (b *CohortBuilder) AddCustomer(first time.Time, months uint64) {
	c := monthIndex(first) - b.from
	if c < 0 || c >= b.months {
		return
	}
	if b.extra == nil {
		b.extra = newCohortCounts(b.from, b.months)
	}
	b.extra.Sizes[c]++
	for k := range b.extra.Active[c] {
		if off := c + k; off < 64 && months&(1<<off) != 0 {
			b.extra.Active[c][k]++
		}
	}
}

// AddCounts folds in the counts of customers added to another builder over
// the same range (no customer may be in both).
func (b *CohortBuilder) AddCounts(o CohortCounts) error {
	if o.From != b.from || len(o.Sizes) != b.months || len(o.Active) != b.months {
		return fmt.Errorf("cohort counts cover %d months from month %d; this matrix covers %d from %d", len(o.Sizes), o.From, b.months, b.from)
	}
	for c, row := range o.Active {
		if len(row) != b.months-c {
			return fmt.Errorf("cohort counts row %d has %d months; want %d", c, len(row), b.months-c)
		}
	}
	if b.extra == nil {
		b.extra = newCohortCounts(b.from, b.months)
	}
	b.extra.add(o)
	return nil
}

// newCohortCounts is an all-zero matrix of counts over months months from
// month from.
func newCohortCounts(from, months int) *CohortCounts {
	cc := &CohortCounts{From: from, Sizes: make([]int, months), Active: make([][]int, months)}
	for c := range months {
		cc.Active[c] = make([]int, months-c)
	}
	return cc
}

func (cc *CohortCounts) add(o CohortCounts) {
	for c := range cc.Sizes {
		cc.Sizes[c] += o.Sizes[c]
		for k := range cc.Active[c] {
			cc.Active[c][k] += o.Active[c][k]
		}
	}
}

// Matrix returns the cohort matrix of the orders added so far.
func (b *CohortBuilder) Matrix() CohortMatrix { return b.Counts().Matrix() }

// Matrix divides the counts: Retention[c][k] = Active[c][k] / Sizes[c].
func (cc CohortCounts) Matrix() CohortMatrix {
	months := len(cc.Sizes)
	m := CohortMatrix{
		Months:    make([]string, months),
		Sizes:     append([]int(nil), cc.Sizes...),
		Retention: make([][]float64, months),
	}
	for c := range months {
		idx := cc.From + c
		m.Months[c] = fmt.Sprintf("%04d-%02d", idx/12, idx%12+1)
		m.Retention[c] = make([]float64, len(cc.Active[c]))
		if m.Sizes[c] == 0 {
			continue
		}
		for k, n := range cc.Active[c] {
			m.Retention[c][k] = float64(n) / float64(m.Sizes[c])
		}
	}
	return m
}
