package metrics

import (
	"context"
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/store"
)

// balance is one member's loyalty standing at the run's AsOf.
type balance struct {
	tier   string
	points int64
}

// loadBalances reads every member's tier and available points from the
// program's ledger. Only members with a ledger entry take memory; everybody
// else keeps an empty tier and zero points.
func loadBalances(ctx context.Context, db *store.DB, cfg *loyalty.Config, now time.Time) (map[string]balance, error) {
	points, err := store.OpenPoints(ctx, db, cfg)
	if err != nil {
		return nil, fmt.Errorf("loyalty ledger: %w", err)
	}
	out := map[string]balance{}
	err = points.ForEachBalance(ctx, now, func(id, tier string, available int64) error {
		out[id] = balance{tier: tier, points: available}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loyalty balances: %w", err)
	}
	return out, nil
}
