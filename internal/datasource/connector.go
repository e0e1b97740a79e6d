package datasource

import (
	"context"
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
)

// Connector streams one data source. Callbacks receive values that are valid
// only during the call: ScanFeatures reuses one Features struct (and its
// Attributes map) for every row, so copy what you keep. A callback error stops
// the scan and is returned as is.
type Connector interface {
	// ScanFeatures computes one feature row per customer as of q.AsOf.
	// Databases return rows in no particular order; files in id order.
	ScanFeatures(ctx context.Context, q FeatureQuery, fn func(*customer.Features) error) error
	ScanCustomers(ctx context.Context, fn func(*customer.Customer) error) error
	// ScanOrders, ScanEvents and ScanFeedback return rows with occurred_at >= since.
	ScanOrders(ctx context.Context, since time.Time, fn func(*customer.Order) error) error
	ScanEvents(ctx context.Context, since time.Time, fn func(*customer.Event) error) error
	ScanFeedback(ctx context.Context, since time.Time, fn func(*customer.Feedback) error) error
	Close() error
}

// Open validates cfg and connects. For databases it pings, so an unreachable
// server is reported here (naming the host, never the password).
func Open(ctx context.Context, cfg sourceconfig.Config) (Connector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch cfg.Kind {
	case sourceconfig.KindPostgres:
		return openPostgres(ctx, cfg)
	case sourceconfig.KindSQLite:
		return openSQLite(ctx, cfg)
	case sourceconfig.KindFile:
		return openFile(cfg)
	}
	return nil, fmt.Errorf("datasource: kind %q is not supported", cfg.Kind)
}
