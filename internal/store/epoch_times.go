package store

import "time"

// Times are stored as integers since the Unix epoch: milliseconds in the
// journey, delivery and segment tables, microseconds in the points ledger.
// 0 stands for the zero time both ways.

func ms(t time.Time) int64 { return toEpoch(t, time.Time.UnixMilli) }

func fromMS(v int64) time.Time { return fromEpoch(v, time.UnixMilli) }

func us(t time.Time) int64 { return toEpoch(t, time.Time.UnixMicro) }

func fromUS(v int64) time.Time { return fromEpoch(v, time.UnixMicro) }

func toEpoch(t time.Time, unit func(time.Time) int64) int64 {
	if t.IsZero() {
		return 0
	}
	return unit(t)
}

func fromEpoch(v int64, unit func(int64) time.Time) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return unit(v).UTC()
}
