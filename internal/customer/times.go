package customer

import "time"

// SetTimesAsOf sets the feature row's fields that move with AsOf alone, as
// the data sources' features queries define them: recencyDays from the last
// order (else the customer's creation), tenureDays from the creation (else
// the first order), 0 when neither is known. A row kept between runs (the
// metric job's stored aggregates, a member row stored without them) gets
// them back from the dates it does keep.
func (f *Features) SetTimesAsOf(asOf time.Time) {
	f.RecencyDays = daysBetween(asOf, f.LastOrderAt, f.CreatedAt)
	f.TenureDays = daysBetween(asOf, f.CreatedAt, f.FirstOrderAt)
}

func daysBetween(asOf, t, fallback time.Time) float64 {
	if t.IsZero() {
		t = fallback
	}
	if t.IsZero() {
		return 0
	}
	secs := float64(asOf.Unix()-t.Unix()) + float64(asOf.Nanosecond()-t.Nanosecond())/1e9
	return secs / 86400
}
