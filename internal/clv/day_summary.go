package clv

import "time"

// DayNumber is the calendar day of t (in t's own location) counted from the
// Unix epoch: the day buckets Summary rows are built from.
func DayNumber(t time.Time) int64 { return dayNumber(t) }

// SummaryFromDays is the Summary of a customer whose purchases fall on days
// distinct days (DayNumber), the first on firstDay and the last on lastDay,
// spending repeatSpend in total on the days after firstDay, with the
// calibration period ending on endDay and durations in unit:
//
//	x = days - 1,  t_x = (lastDay - firstDay) / unit,  T = (endDay - firstDay) / unit
//	monetary = repeatSpend / x  (0 when x = 0)
//
// It lets a database aggregate the orders (GROUP BY customer, day) and hand
// over only these numbers; SummaryBuilder uses the same arithmetic.
func SummaryFromDays(id string, days, firstDay, lastDay, endDay int64, repeatSpend float64, unit time.Duration) Summary {
	unitDays := float64(unit) / float64(24*time.Hour)
	s := Summary{
		CustomerID: id,
		Frequency:  float64(days - 1),
		Recency:    float64(lastDay-firstDay) / unitDays,
		T:          float64(endDay-firstDay) / unitDays,
	}
	if days > 1 {
		s.Monetary = repeatSpend / s.Frequency
	}
	return s
}
