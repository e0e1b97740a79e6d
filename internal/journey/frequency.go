package journey

import "time"

// CapAllows reports whether one more message fits the cap, given how many
// messages the customer received (from every playbook of the namespace) in
// the window (now - cap.Per, now]. A nil cap always allows.
func CapAllows(c *FrequencyCap, sentInWindow int) bool {
	return c == nil || c.Max <= 0 || sentInWindow < c.Max
}

// CapWindowStart is the earliest send time that still counts against the cap.
func CapWindowStart(c *FrequencyCap, now time.Time) time.Time {
	if c == nil {
		return now
	}
	return now.Add(-c.Per)
}
