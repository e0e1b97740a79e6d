package datasource

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
)

// sqliteConnector computes features in SQLite with the same one-query plan.
type sqliteConnector struct {
	sqlConnector
}

func openSQLite(ctx context.Context, cfg sourceconfig.Config) (*sqliteConnector, error) {
	// store.Open would create a missing file; a data source must already exist.
	path, err := confinePath("path", cfg.Path, cfg.Root)
	if err != nil {
		return nil, fmt.Errorf("datasource sqlite: %w", err)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("datasource sqlite: path %q: %w", cfg.Path, err)
	}
	db, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		return nil, fmt.Errorf("datasource sqlite: %w", err)
	}
	c := &sqliteConnector{sqlConnector{db: db, cfg: cfg}}
	c.featureScan = c.scanFeatures
	return c, nil
}

// scanFeatures runs the features query, with aq's activity columns when aq
// is not nil (fn's activity argument is then filled, else zero).
func (c *sqliteConnector) scanFeatures(ctx context.Context, q FeatureQuery, aq *ActivityQuery, fn func(*customer.Features, *OrderActivity) error) error {
	rows, err := c.db.Query(ctx, featuresSQL(store.SQLite, c.cfg.Queries, q, aq), q.Args...)
	if err != nil {
		return fmt.Errorf("datasource sqlite: features query: %w", err)
	}
	defer rows.Close()
	f, a := newFeatureRow()
	var first, last, created string
	var attrs []byte
	var months int64
	dest := []any{&f.ID, &f.Email, &f.TimeZone, &f.RecencyDays, &f.Frequency, &f.Monetary,
		&f.AverageOrderValue, &f.TenureDays, &f.WindowOrders, &f.WindowSpend, &first, &last, &created,
		&f.NPS, &f.ConsentEmail, &f.ConsentSMS, &attrs}
	if aq != nil {
		dest = append(dest, &a.Active, &months)
	}
	for n := 1; rows.Next(); n++ {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("datasource sqlite: features row %d: %w", n, err)
		}
		if f.FirstOrderAt, err = featureTime(first); err != nil {
			return fmt.Errorf("datasource sqlite: features row %d: firstOrderAt: %w", n, err)
		}
		if f.LastOrderAt, err = featureTime(last); err != nil {
			return fmt.Errorf("datasource sqlite: features row %d: lastOrderAt: %w", n, err)
		}
		if f.CreatedAt, err = featureTime(created); err != nil {
			return fmt.Errorf("datasource sqlite: features row %d: createdAt: %w", n, err)
		}
		if err := parseAttributes(attrs, f.Attributes); err != nil {
			return fmt.Errorf("datasource sqlite: features row %d: attributes: %w", n, err)
		}
		a.CustomerID, a.Months = f.ID, uint64(months)
		if err := fn(f, a); err != nil {
			return err
		}
	}
	return rowsErr(rows, "sqlite", "features")
}

// featureTime parses SQLite's ISO feature timestamps; the zero sentinel maps
// back to Go's zero time.
func featureTime(s string) (time.Time, error) {
	if s == zeroISO {
		return time.Time{}, nil
	}
	return parseISO(s)
}
