package journey

import (
	"fmt"
	"time"
)

// ClockTime is a wall-clock time of day, in minutes after local midnight.
type ClockTime int

// ParseClockTime reads "HH:MM" (24-hour).
func ParseClockTime(s string) (ClockTime, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("time of day %q: want HH:MM such as 09:00", s)
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h > 23 || m > 59 || h < 0 || m < 0 {
		return 0, fmt.Errorf("time of day %q: want HH:MM such as 09:00", s)
	}
	return ClockTime(h*60 + m), nil
}

// ResolveZone returns the customer's IANA zone, else the fallback zone, else UTC.
// An unknown customer zone falls back rather than failing the journey.
func ResolveZone(customerZone, fallback string) *time.Location {
	for _, name := range []string{customerZone, fallback} {
		if name == "" {
			continue
		}
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	return time.UTC
}

// onDay is the instant at wall-clock c on the local calendar day of t. When c
// falls into a spring-forward gap (02:30 on a day that jumps 02:00->03:00),
// time.Date reads it with the new offset and lands an hour early (01:30); we
// move it forward by the shortfall so it becomes 03:30, the first existing
// instant at or after the intended wall time.
func onDay(t time.Time, c ClockTime, loc *time.Location) time.Time {
	l := t.In(loc)
	return atWall(l.Year(), l.Month(), l.Day(), c, loc)
}

func atWall(y int, m time.Month, d int, c ClockTime, loc *time.Location) time.Time {
	cand := time.Date(y, m, d, int(c)/60, int(c)%60, 0, 0, loc)
	if got := minuteOfDay(cand, loc); got < c && cand.In(loc).Day() == d {
		cand = cand.Add(time.Duration(c-got) * time.Minute)
	}
	return cand
}

// NextLocalTime is the first instant strictly after t whose wall clock in loc
// reads c. Computed by calendar date, not by adding 24h, so it stays on the
// wall time across DST changes.
func NextLocalTime(t time.Time, c ClockTime, loc *time.Location) time.Time {
	if cand := onDay(t, c, loc); cand.After(t) {
		return cand
	}
	l := t.In(loc)
	next := time.Date(l.Year(), l.Month(), l.Day()+1, 12, 0, 0, 0, loc) // noon: always exists
	return atWall(next.Year(), next.Month(), next.Day(), c, loc)
}

// minuteOfDay is the local wall-clock minute of t.
func minuteOfDay(t time.Time, loc *time.Location) ClockTime {
	l := t.In(loc)
	return ClockTime(l.Hour()*60 + l.Minute())
}

// QuietWindow is a parsed QuietHours.
type QuietWindow struct {
	Start, End  ClockTime
	DefaultZone string
}

// ParseQuietHours validates and parses q.
func ParseQuietHours(q *QuietHours) (*QuietWindow, error) {
	if q == nil {
		return nil, nil
	}
	s, err := ParseClockTime(q.Start)
	if err != nil {
		return nil, fmt.Errorf("quietHours.start: %w", err)
	}
	e, err := ParseClockTime(q.End)
	if err != nil {
		return nil, fmt.Errorf("quietHours.end: %w", err)
	}
	if s == e {
		return nil, fmt.Errorf("quietHours: start and end are both %s; leave quietHours out for no quiet time", q.Start)
	}
	if q.DefaultTimeZone != "" {
		if _, err := time.LoadLocation(q.DefaultTimeZone); err != nil {
			return nil, fmt.Errorf("quietHours.defaultTimeZone %q: %w", q.DefaultTimeZone, err)
		}
	}
	return &QuietWindow{Start: s, End: e, DefaultZone: q.DefaultTimeZone}, nil
}

// Quiet reports whether wall-clock minute m lies in [Start, End) (wrapping
// midnight when Start > End).
func (w *QuietWindow) Quiet(m ClockTime) bool {
	if w.Start < w.End {
		return m >= w.Start && m < w.End
	}
	return m >= w.Start || m < w.End
}

// Defer returns t itself when t is outside quiet hours in loc, otherwise the
// end of the quiet period: the next instant after t whose wall clock reads End.
// A deferred message is never dropped. Because the end is found by calendar
// date, a night that is 23 or 25 hours long (DST) still ends at End local time.
func (w *QuietWindow) Defer(t time.Time, loc *time.Location) time.Time {
	if w == nil || !w.Quiet(minuteOfDay(t, loc)) {
		return t
	}
	return NextLocalTime(t, w.End, loc)
}
