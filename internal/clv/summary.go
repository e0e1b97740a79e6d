package clv

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// Summary is one customer's calibration-period RFM row in the convention of
// the lifetimes library (summary_data_from_transaction_data), which is the
// input of the BG/NBD and Gamma-Gamma models.
type Summary struct {
	CustomerID string
	// Frequency x = number of distinct purchase days - 1 (repeat purchases).
	Frequency float64
	// Recency t_x = (last purchase day - first purchase day) / unit; 0 when x = 0.
	Recency float64
	// T = (calibration end day - first purchase day) / unit: the customer's age.
	T float64
	// Monetary = mean over the repeat purchase days of the amount spent that
	// day (orders on one day are summed first; the first day is excluded);
	// 0 when x = 0.
	Monetary float64
}

// dayNumber is the calendar day of t (in t's own location) counted from the
// Unix epoch, so that purchases are bucketed by the date the customer saw.
func dayNumber(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// SummaryBuilder accumulates orders one at a time (in any order) into
// Summary rows, for logs streamed from a TransactionReader. Memory is one
// map entry per customer and distinct purchase day.
type SummaryBuilder struct {
	endDay int64
	unit   time.Duration
	// perCustomer holds spend per distinct day (days since the Unix epoch).
	perCustomer map[string]map[int64]float64
}

// NewSummaryBuilder summarises up to and including the calendar day of
// calibrationEnd, with durations in unit (e.g. 7*24*time.Hour for weeks).
func NewSummaryBuilder(calibrationEnd time.Time, unit time.Duration) (*SummaryBuilder, error) {
	if unit <= 0 {
		return nil, fmt.Errorf("unit %v must be positive, e.g. 168h for weeks", unit)
	}
	return &SummaryBuilder{
		endDay:      dayNumber(calibrationEnd),
		unit:        unit,
		perCustomer: make(map[string]map[int64]float64),
	}, nil
}

// Add records one order; orders after the calibration end day are ignored.
func (b *SummaryBuilder) Add(o customer.Order) {
	day := dayNumber(o.OccurredAt)
	if day > b.endDay {
		return
	}
	days := b.perCustomer[o.CustomerID]
	if days == nil {
		days = make(map[int64]float64)
		b.perCustomer[o.CustomerID] = days
	}
	days[day] += o.Amount
}

// Rows returns one Summary per customer seen, sorted by customer id.
func (b *SummaryBuilder) Rows() []Summary {
	buyers := b.Buyers()
	out := make([]Summary, len(buyers))
	for i, by := range buyers {
		out[i] = by.Summary(by.ID, b.endDay, b.unit)
	}
	return out
}

// Buyers returns every customer seen with their purchase days, sorted by
// customer id: Rows before the calibration end is applied.
func (b *SummaryBuilder) Buyers() []Buyer {
	out := make([]Buyer, 0, len(b.perCustomer))
	for id, days := range b.perCustomer {
		// Sum in day order so that the floating-point result does not depend
		// on map iteration order.
		ordered := slices.Sorted(maps.Keys(days))
		by := Buyer{ID: id, ScoreInputs: NewScoreInputs(int64(len(days)), ordered[0], ordered[len(ordered)-1], 0)}
		for _, d := range ordered[1:] {
			by.RepeatSpend += days[d]
		}
		out = append(out, by)
	}
	slices.SortFunc(out, func(a, b Buyer) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
