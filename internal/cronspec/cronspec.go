// Package cronspec checks the cron schedules of Segments and
// LoyaltyPrograms the way their CronJobs will read them, for the controller
// and `retentionctl lint` alike.
package cronspec

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Check parses a five-field schedule (or @descriptor) and refuses one that
// can never fire (e.g. "0 0 30 2 *", February 30th), which would otherwise
// look scheduled for ever.
func Check(expr string) error {
	sched, err := cron.ParseStandard(expr)
	if err != nil {
		return fmt.Errorf("invalid cron schedule %q: %v (five fields: minute hour day-of-month month day-of-week, e.g. \"0 6 * * 1\")", expr, err)
	}
	if sched.Next(time.Now()).IsZero() {
		return fmt.Errorf("cron schedule %q never fires (no such date); fix the day of month or month", expr)
	}
	return nil
}
