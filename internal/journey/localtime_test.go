package journey

import (
	"testing"
	"time"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Quiet hours 21:00-08:00 on the nights clocks change. The expected instants
// are worked out by hand from the zone rules: New York switches at 02:00 local
// on 2026-03-08 (EST UTC-5 -> EDT UTC-4) and 2026-11-01 (back); Berlin at
// 02:00 CET on 2026-03-29 (UTC+1 -> UTC+2) and 03:00 CEST on 2026-10-25.
func TestQuietHoursDeferAcrossDST(t *testing.T) {
	w, err := ParseQuietHours(&QuietHours{Start: "21:00", End: "08:00"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, zone, at, want string
	}{
		{"NY spring forward, 22:00 EST -> 08:00 EDT (9h night)", "America/New_York", "2026-03-08T03:00:00Z", "2026-03-08T12:00:00Z"},
		{"NY fall back, 22:00 EDT -> 08:00 EST (11h night)", "America/New_York", "2026-11-01T02:00:00Z", "2026-11-01T13:00:00Z"},
		{"NY inside repeated hour 01:30 EST", "America/New_York", "2026-11-01T06:30:00Z", "2026-11-01T13:00:00Z"},
		{"Berlin spring forward, 23:30 CET -> 08:00 CEST", "Europe/Berlin", "2026-03-28T22:30:00Z", "2026-03-29T06:00:00Z"},
		{"Berlin fall back, 02:30 CEST (first) -> 08:00 CET", "Europe/Berlin", "2026-10-25T00:30:00Z", "2026-10-25T07:00:00Z"},
		{"Berlin fall back, 02:30 CET (second) -> 08:00 CET", "Europe/Berlin", "2026-10-25T01:30:00Z", "2026-10-25T07:00:00Z"},
		{"outside quiet hours: unchanged", "America/New_York", "2026-03-08T15:00:00Z", "2026-03-08T15:00:00Z"},
		{"exactly at start 21:00 EDT -> next 08:00", "America/New_York", "2026-03-09T01:00:00Z", "2026-03-09T12:00:00Z"},
		{"exactly at end 08:00 is not quiet", "Europe/Berlin", "2026-03-29T06:00:00Z", "2026-03-29T06:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := w.Defer(utc(c.at), mustZone(t, c.zone))
			if !got.Equal(utc(c.want)) {
				t.Fatalf("Defer(%s in %s) = %s, want %s", c.at, c.zone, got.UTC().Format(time.RFC3339), c.want)
			}
		})
	}
}

// A quiet window that ends inside the spring-forward gap (02:30 does not
// exist on 2026-03-08 in New York) ends at the first existing instant after
// it, 03:30 EDT; the message is deferred, not dropped.
func TestQuietHoursEndInsideGap(t *testing.T) {
	w, _ := ParseQuietHours(&QuietHours{Start: "01:00", End: "02:30"})
	got := w.Defer(utc("2026-03-08T06:30:00Z"), mustZone(t, "America/New_York")) // 01:30 EST
	if want := utc("2026-03-08T07:30:00Z"); !got.Equal(want) {
		t.Fatalf("got %s, want %s (03:30 EDT)", got.UTC(), want)
	}
}

func TestNextLocalTimeAcrossDST(t *testing.T) {
	nine, _ := ParseClockTime("09:00")
	cases := []struct{ zone, from, want string }{
		{"America/New_York", "2026-03-07T15:00:00Z", "2026-03-08T13:00:00Z"}, // 10:00 EST -> 09:00 EDT, 22h later
		{"America/New_York", "2026-10-31T14:00:00Z", "2026-11-01T14:00:00Z"}, // 10:00 EDT -> 09:00 EST, 24h later
		{"Europe/Berlin", "2026-03-28T07:00:00Z", "2026-03-28T08:00:00Z"},    // 08:00 CET -> 09:00 same day
		{"Europe/Berlin", "2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z"},    // exactly 09:00 CET -> next day 09:00 CEST
		{"Europe/Berlin", "2026-10-24T08:00:00Z", "2026-10-25T08:00:00Z"},    // 10:00 CEST -> 09:00 CET, 24h later
	}
	for _, c := range cases {
		got := NextLocalTime(utc(c.from), nine, mustZone(t, c.zone))
		if !got.Equal(utc(c.want)) {
			t.Errorf("NextLocalTime(%s, 09:00, %s) = %s, want %s", c.from, c.zone, got.UTC().Format(time.RFC3339), c.want)
		}
	}
}

func TestParseClockTimeRejects(t *testing.T) {
	for _, s := range []string{"9:00", "24:00", "09:60", "0900", "ab:cd", ""} {
		if _, err := ParseClockTime(s); err == nil {
			t.Errorf("ParseClockTime(%q) accepted", s)
		}
	}
}
