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
	return scanUnerased(ctx, w.list, w.Connector.ScanFeatures, q, func(f *customer.Features) string { return f.ID }, fn)
}

func (w *withoutErased) ScanCustomers(ctx context.Context, fn func(*customer.Customer) error) error {
	all := func(ctx context.Context, _ struct{}, fn func(*customer.Customer) error) error {
		return w.Connector.ScanCustomers(ctx, fn)
	}
	return scanUnerased(ctx, w.list, all, struct{}{}, func(c *customer.Customer) string { return c.ID }, fn)
}

func (w *withoutErased) ScanOrders(ctx context.Context, since time.Time, fn func(*customer.Order) error) error {
	return scanUnerased(ctx, w.list, w.Connector.ScanOrders, since, func(o *customer.Order) string { return o.CustomerID }, fn)
}

func (w *withoutErased) ScanEvents(ctx context.Context, since time.Time, fn func(*customer.Event) error) error {
	return scanUnerased(ctx, w.list, w.Connector.ScanEvents, since, func(e *customer.Event) string { return e.CustomerID }, fn)
}

func (w *withoutErased) ScanFeedback(ctx context.Context, since time.Time, fn func(*customer.Feedback) error) error {
	return scanUnerased(ctx, w.list, w.Connector.ScanFeedback, since, func(f *customer.Feedback) string { return f.CustomerID }, fn)
}

// scanUnerased refreshes l, then runs scan with arg, handing fn only the
// rows whose customer (customerOf) l does not hold.
func scanUnerased[A, T any](ctx context.Context, l ErasureList, scan func(context.Context, A, func(*T) error) error, arg A,
	customerOf func(*T) string, fn func(*T) error) error {
	if _, err := l.Refresh(ctx); err != nil {
		return err
	}
	return scan(ctx, arg, func(row *T) error {
		if l.Has(customerOf(row)) {
			return nil
		}
		return fn(row)
	})
}
