package metrics

import (
	"context"

	"github.com/retention-dev/retention-operator/internal/store"
)

// loadTraits reads the identify traits the DataSource's ingestion API stored
// for source, by customer id (laid over the rows by store.Traits.Apply).
func loadTraits(ctx context.Context, db *store.DB, source string) (map[string]*store.Traits, error) {
	if err := db.MigrateIngest(ctx); err != nil {
		return nil, err
	}
	out := map[string]*store.Traits{}
	err := db.IngestedTraits(ctx, source, func(t *store.Traits) error {
		c := *t
		out[c.CustomerID] = &c
		return nil
	})
	return out, err
}
