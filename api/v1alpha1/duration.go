package v1alpha1

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Parse turns the Duration into a time.Duration; an empty Duration is 0.
func (d Duration) Parse() (time.Duration, error) {
	return ParseDuration(string(d))
}

// ParseDuration accepts Go durations plus d (24h) and w (7d), e.g. "90d" or "1w2d".
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] == '.' || (rest[i] >= '0' && rest[i] <= '9')) {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("duration %q: expected a number at %q (use e.g. 90d, 36h, 1h30m)", s, rest)
		}
		num, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("duration %q: %w", s, err)
		}
		rest = rest[i:]
		j := 0
		for j < len(rest) && !(rest[j] == '.' || (rest[j] >= '0' && rest[j] <= '9')) {
			j++
		}
		unit := rest[:j]
		rest = rest[j:]
		var scale time.Duration
		switch strings.ToLower(unit) {
		case "w":
			scale = 7 * 24 * time.Hour
		case "d":
			scale = 24 * time.Hour
		case "h":
			scale = time.Hour
		case "m":
			scale = time.Minute
		case "s":
			scale = time.Second
		case "ms":
			scale = time.Millisecond
		default:
			return 0, fmt.Errorf("duration %q: unknown unit %q (use ms, s, m, h, d or w)", s, unit)
		}
		part := num * float64(scale)
		if part > float64(MaxDuration) || float64(total)+part > float64(MaxDuration) {
			return 0, fmt.Errorf("duration %q is longer than the longest accepted, 100 years (5200w)", s)
		}
		total += time.Duration(part)
	}
	return total, nil
}

// MaxDuration is the longest duration any field accepts: longer ones are
// typos, and past ~292 years they would overflow into negative durations.
const MaxDuration = 100 * 52 * 7 * 24 * time.Hour
