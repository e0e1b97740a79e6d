package clv

import (
	"fmt"
	"sort"
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

// Summarize turns orders into one Summary per customer who bought on or before
// calibrationEnd (orders after its calendar day are ignored), with durations
// measured in unit (e.g. 7*24*time.Hour for weeks). Rows are sorted by
// customer id. Orders need not be sorted.
func Summarize(orders []customer.Order, calibrationEnd time.Time, unit time.Duration) ([]Summary, error) {
	if unit <= 0 {
		return nil, fmt.Errorf("unit %v must be positive, e.g. 168h for weeks", unit)
	}
	endDay := dayNumber(calibrationEnd)
	// Per customer: spend per distinct day. Memory is O(distinct days).
	perCustomer := make(map[string]map[int64]float64)
	for _, o := range orders {
		day := dayNumber(o.OccurredAt)
		if day > endDay {
			continue
		}
		days := perCustomer[o.CustomerID]
		if days == nil {
			days = make(map[int64]float64)
			perCustomer[o.CustomerID] = days
		}
		days[day] += o.Amount
	}
	unitDays := float64(unit) / float64(24*time.Hour)
	out := make([]Summary, 0, len(perCustomer))
	for id, days := range perCustomer {
		first, last := int64(1<<62), int64(-1<<62)
		for d := range days {
			first = min(first, d)
			last = max(last, d)
		}
		s := Summary{
			CustomerID: id,
			Frequency:  float64(len(days) - 1),
			Recency:    float64(last-first) / unitDays,
			T:          float64(endDay-first) / unitDays,
		}
		if len(days) > 1 {
			var repeat float64
			for d, v := range days {
				if d != first {
					repeat += v
				}
			}
			s.Monetary = repeat / s.Frequency
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CustomerID < out[j].CustomerID })
	return out, nil
}
