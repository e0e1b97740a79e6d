package loyalty

import "time"

// LotExpiry is when a lot that becomes available at availableAt lapses under
// fixed expiry (availableAt + after); zero when the program has no fixed expiry.
func (c *Config) LotExpiry(availableAt time.Time) time.Time {
	if c.PointsExpiry == nil || c.PointsExpiry.Mode != ExpiryFixed {
		return time.Time{}
	}
	return availableAt.Add(c.PointsExpiry.After.Duration)
}

// InactivityDeadline is when all of a member's points lapse under inactivity
// expiry: lastActivity + after. Zero when the mode is not inactivity.
func (c *Config) InactivityDeadline(lastActivity time.Time) time.Time {
	if c.PointsExpiry == nil || c.PointsExpiry.Mode != ExpiryInactivity || lastActivity.IsZero() {
		return time.Time{}
	}
	return lastActivity.Add(c.PointsExpiry.After.Duration)
}

// ExpiredAt lists, oldest first, the lots (with their remaining points) that
// have lapsed at now: fixed mode lapses each lot at its ExpiresAt; inactivity
// mode lapses every remaining lot once now reaches the inactivity deadline.
// Partly spent lots lapse with what is left of them.
func (c *Config) ExpiredAt(lots []Lot, lastActivity, now time.Time) []Take {
	sorted := append([]Lot(nil), lots...)
	SortOldestFirst(sorted)
	deadline := c.InactivityDeadline(lastActivity)
	all := !deadline.IsZero() && !now.Before(deadline)
	var out []Take
	for _, l := range sorted {
		if l.Remaining <= 0 {
			continue
		}
		if all || l.Expired(now) {
			out = append(out, Take{LotID: l.ID, Points: l.Remaining})
		}
	}
	return out
}

// Expiring is how many points lapse within the warning window after now
// (now < lapse time <= now + warningWindow), and the earliest such time.
func (c *Config) Expiring(lots []Lot, lastActivity, now time.Time) (points int64, first time.Time) {
	if c.PointsExpiry == nil {
		return 0, time.Time{}
	}
	end := now.Add(c.PointsExpiry.WarningWindow.Duration)
	within := func(t time.Time) bool { return !t.IsZero() && t.After(now) && !t.After(end) }
	if deadline := c.InactivityDeadline(lastActivity); c.PointsExpiry.Mode == ExpiryInactivity {
		if !within(deadline) {
			return 0, time.Time{}
		}
		for _, l := range lots {
			points += max(l.Remaining, 0)
		}
		return points, deadline
	}
	for _, l := range lots {
		if l.Remaining > 0 && within(l.ExpiresAt) {
			points += l.Remaining
			if first.IsZero() || l.ExpiresAt.Before(first) {
				first = l.ExpiresAt
			}
		}
	}
	return points, first
}
