package cronspec

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for expr, want := range map[string]string{
		"0 6 * * 1":  "",
		"@daily":     "",
		"0 0 30 2 *": "never fires",
		"61 * * * *": "invalid cron schedule",
		"0 * * *":    "invalid cron schedule",
	} {
		err := Check(expr)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("Check(%q) = %v, want %q", expr, err, want)
		}
	}
}
