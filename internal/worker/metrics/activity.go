package metrics

import (
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/metrics"
)

// activity holds the per-member state behind retention, churn and the cohort
// matrix: one byte of flags per member plus the cohort builder's bitset, fed
// by one per-customer SQL aggregate of the orders since the period before the
// window (activity_sql.go), or for files by one streamed pass over them.
//
// The metrics package's window is half-open, [start, end); the features'
// window is (AsOf - W, AsOf]. Shifting by a nanosecond, start = AsOf - W + 1ns
// and end = AsOf + 1ns, makes them the same set of instants, so "active at the
// end" (an order in [end - W, end)) is exactly windowOrders > 0 and "new" is
// firstOrderAt in [start, end), both read from the feature row. Only "active
// at the start" (an order in [start - W, start)) needs the orders.
type activity struct {
	start, end  time.Time
	activeFrom  time.Time // start - W
	cohortFrom  time.Time // first instant of start's month
	members     map[string]uint8
	cohort      *metrics.CohortBuilder
	cohortsWant bool
	// merged are counts of members not kept in members: a sharded run's
	// other shards, and members counted whole (addWhole).
	merged metrics.RetentionCounts
}

const (
	activeStart uint8 = 1 << iota
	activeEnd
	acquired // first order inside the window
)

func newActivity(asOf time.Time, window time.Duration, cohorts bool) (*activity, error) {
	end := asOf.Add(time.Nanosecond)
	start := end.Add(-window)
	a := &activity{start: start, end: end, activeFrom: start.Add(-window), members: map[string]uint8{}, cohortsWant: cohorts}
	s := start.UTC()
	a.cohortFrom = time.Date(s.Year(), s.Month(), 1, 0, 0, 0, 0, time.UTC)
	if cohorts {
		b, err := metrics.NewCohortBuilder(start, asOf)
		if err != nil {
			return nil, err
		}
		a.cohort = b
	}
	return a, nil
}

// since is where the order scan must start.
func (a *activity) since() time.Time {
	if a.cohortsWant && a.cohortFrom.Before(a.activeFrom) {
		return a.cohortFrom
	}
	return a.activeFrom
}

// addMember records a member's flags from its feature row. For cohorts it
// also adds the member's first order (time only): an earlier first order
// keeps the member out of the cohorts shown, as the full history would.
func (a *activity) addMember(f *customer.Features) {
	id := strings.Clone(f.ID) // the connector may reuse the row's memory
	a.members[id] = a.rowFlags(f)
	if a.cohort != nil && !f.FirstOrderAt.IsZero() {
		a.cohort.Add(customer.Order{CustomerID: id, OccurredAt: f.FirstOrderAt})
	}
}

// rowFlags are the flags a member's feature row gives: active at the end,
// acquired inside the window.
func (a *activity) rowFlags(f *customer.Features) uint8 {
	var flags uint8
	if f.WindowOrders > 0 {
		flags |= activeEnd
	}
	if !f.FirstOrderAt.IsZero() && !f.FirstOrderAt.Before(a.start) && f.FirstOrderAt.Before(a.end) {
		flags |= acquired
	}
	return flags
}

// addWhole counts a member whose order activity came with its feature row
// (one scan): everything about the member is known, so it is counted now
// and nothing is kept per member — the same counts addMember and
// addActivity give, in constant memory.
func (a *activity) addWhole(f *customer.Features, o *datasource.OrderActivity) {
	flags := a.rowFlags(f)
	if o.Active {
		flags |= activeStart
	}
	countFlags(&a.merged, flags)
	if a.cohort != nil && !f.FirstOrderAt.IsZero() {
		a.cohort.AddCustomer(f.FirstOrderAt, o.Months)
	}
}

// addOrder marks activity at the window start and feeds the cohorts.
func (a *activity) addOrder(o *customer.Order) {
	flags, member := a.members[o.CustomerID]
	if !member || !o.OccurredAt.Before(a.end) {
		return
	}
	if !o.OccurredAt.Before(a.activeFrom) && o.OccurredAt.Before(a.start) && flags&activeStart == 0 {
		a.members[o.CustomerID] = flags | activeStart
	}
	if a.cohort != nil && !o.OccurredAt.Before(a.cohortFrom) {
		a.cohort.Add(*o)
	}
}

// retention counts S, E, N and Lost as metrics.RetentionCounts defines them.
func (a *activity) retention() metrics.RetentionCounts {
	c := a.merged
	for _, f := range a.members {
		countFlags(&c, f)
	}
	return c
}

// countFlags adds one member with flags f to c.
func countFlags(c *metrics.RetentionCounts, f uint8) {
	if f&activeStart != 0 {
		c.Start++
		if f&activeEnd == 0 {
			c.Lost++
		}
	}
	if f&activeEnd != 0 {
		c.End++
		if f&acquired != 0 {
			c.New++
		}
	}
}
