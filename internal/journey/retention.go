package journey

import (
	"fmt"
	"time"
)

// The delivery ledger keeps a message's address, subject and bodies this
// long by default (spec.ledgerRetention), and no less than
// MinLedgerRetention nor more than MaxLedgerRetention when set: long enough
// for a send and its retries, short enough that "forever" is not a typo away.
const (
	DefaultLedgerRetention = 30 * 24 * time.Hour
	MinLedgerRetention     = time.Hour
	MaxLedgerRetention     = 3650 * 24 * time.Hour
)

// RetentionError says why a ledger retention period was refused.
type RetentionError struct {
	Field string
	Value time.Duration
}

// Error states the bounds as the spec grammar writes them (MinLedgerRetention, MaxLedgerRetention).
func (e *RetentionError) Error() string {
	return fmt.Sprintf("%s: %s is outside 1h..3650d; set a period such as 30d (the default) or 90d", e.Field, e.Value)
}

// CheckLedgerRetention refuses periods outside the bounds (0 means the default).
func CheckLedgerRetention(field string, d time.Duration) error {
	if d == 0 || (d >= MinLedgerRetention && d <= MaxLedgerRetention) {
		return nil
	}
	return &RetentionError{Field: field, Value: d}
}

// Retention is the ledger retention period the playbook runs with.
func (c *Config) Retention() time.Duration {
	if c.LedgerRetention > 0 {
		return c.LedgerRetention
	}
	return DefaultLedgerRetention
}
