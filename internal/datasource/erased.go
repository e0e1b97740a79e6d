package datasource

import (
	"context"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// ErasureList is the state store's list of erased customers
// (store.ErasedIDs): Refresh re-reads it, Has answers for one id.
type ErasureList interface {
	Refresh(ctx context.Context) (bool, error)
	Has(id string) bool
}

// WithoutErased wraps c so that no scan yields a row of an erased customer:
// the DataSource is the company's and may still hold them, but the workers
// must not import them into the operator's stores again. The list is
// refreshed at the start of every scan, so an erasure takes effect on the
// next read of a long-running worker.
func WithoutErased(c Connector, l ErasureList) Connector {
	return &withoutErased{Connector: c, list: l}
}

type withoutErased struct {
	Connector
	list ErasureList
}

func (w *withoutErased) ScanFeatures(ctx context.Context, q FeatureQuery, fn func(*customer.Features) error) error {
	if _, err := w.list.Refresh(ctx); err != nil {
		return err
	}
	return w.Connector.ScanFeatures(ctx, q, func(f *customer.Features) error {
		if w.list.Has(f.ID) {
			return nil
		}
		return fn(f)
	})
}

func (w *withoutErased) ScanCustomers(ctx context.Context, fn func(*customer.Customer) error) error {
	if _, err := w.list.Refresh(ctx); err != nil {
		return err
	}
	return w.Connector.ScanCustomers(ctx, func(c *customer.Customer) error {
		if w.list.Has(c.ID) {
			return nil
		}
		return fn(c)
	})
}

func (w *withoutErased) ScanOrders(ctx context.Context, since time.Time, fn func(*customer.Order) error) error {
	if _, err := w.list.Refresh(ctx); err != nil {
		return err
	}
	return w.Connector.ScanOrders(ctx, since, func(o *customer.Order) error {
		if w.list.Has(o.CustomerID) {
			return nil
		}
		return fn(o)
	})
}

func (w *withoutErased) ScanEvents(ctx context.Context, since time.Time, fn func(*customer.Event) error) error {
	if _, err := w.list.Refresh(ctx); err != nil {
		return err
	}
	return w.Connector.ScanEvents(ctx, since, func(e *customer.Event) error {
		if w.list.Has(e.CustomerID) {
			return nil
		}
		return fn(e)
	})
}

func (w *withoutErased) ScanFeedback(ctx context.Context, since time.Time, fn func(*customer.Feedback) error) error {
	if _, err := w.list.Refresh(ctx); err != nil {
		return err
	}
	return w.Connector.ScanFeedback(ctx, since, func(f *customer.Feedback) error {
		if w.list.Has(f.CustomerID) {
			return nil
		}
		return fn(f)
	})
}
