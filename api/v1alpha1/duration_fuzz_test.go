package v1alpha1

import (
	"strings"
	"testing"
)

// FuzzParseDuration: the duration grammar every field shares never panics,
// never returns a negative duration (overflow) and never one past
// MaxDuration, and names the input in every error.
func FuzzParseDuration(f *testing.F) {
	for _, seed := range []string{"90d", "1w2d", "36h", "1h30m", "0s", "15251w", "1e308d", "9223372036854775807ns",
		"-5d", "1.5d", "d", "5x", "..5d", "99999999999999999999w"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if !strings.Contains(err.Error(), "duration") {
				t.Fatalf("error %q does not say it is about a duration", err)
			}
			return
		}
		if d < 0 || d > MaxDuration {
			t.Fatalf("ParseDuration(%q) = %v, outside [0, %v]", s, d, MaxDuration)
		}
	})
}
