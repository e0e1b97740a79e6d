package datasource

import (
	"context"
	"sort"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// customerAgg is the per-customer state of a file features scan: the
// customer's own fields plus running order and feedback aggregates, so memory
// grows with customers, never with orders.
type customerAgg struct {
	email, timeZone   string
	created           time.Time // zero when the source has no created_at
	consentE          bool
	consentS          bool
	attributes        map[string]string
	orders, winOrders int64
	spend, winSpend   float64
	first, last       time.Time
	npsAt             time.Time
	nps               int64 // -1 until a feedback row at or before AsOf
}

// ScanFeatures computes the same rows as the SQL features query (see
// featuresPostgres for the formulas) by streaming customers, then orders,
// then feedback, and emits them sorted by id. q.Where is ignored: the caller
// evaluates the segment's CEL over the rows.
func (c *fileConnector) ScanFeatures(ctx context.Context, q FeatureQuery, fn func(*customer.Features) error) error {
	asOf := q.AsOf
	windowStart := asOf
	if q.Window > 0 {
		windowStart = asOf.Add(-q.Window)
	}
	aggs := map[string]*customerAgg{}
	_, _, haveCustomers := c.tablePath("customers")
	if haveCustomers {
		if err := c.ScanCustomers(ctx, func(cu *customer.Customer) error {
			if !cu.CreatedAt.IsZero() && cu.CreatedAt.After(asOf) {
				return nil // not a customer yet as of AsOf
			}
			a := &customerAgg{email: cu.Email, timeZone: cu.TimeZone, created: cu.CreatedAt,
				consentE: cu.ConsentEmail, consentS: cu.ConsentSMS, nps: -1}
			if len(cu.Attributes) > 0 {
				a.attributes = cu.Attributes
			}
			aggs[cu.ID] = a
			return nil
		}); err != nil {
			return err
		}
	}
	err := c.scanOrderRows(func(o *customer.Order) error {
		if o.OccurredAt.After(asOf) {
			return nil
		}
		a := aggs[o.CustomerID]
		if a == nil {
			if haveCustomers {
				return nil // an order of an unknown customer, as the SQL join drops it
			}
			a = &customerAgg{nps: -1}
			aggs[o.CustomerID] = a
		}
		a.orders++
		a.spend += o.Amount
		if a.first.IsZero() || o.OccurredAt.Before(a.first) {
			a.first = o.OccurredAt
		}
		if o.OccurredAt.After(a.last) {
			a.last = o.OccurredAt
		}
		if o.OccurredAt.After(windowStart) {
			a.winOrders++
			a.winSpend += o.Amount
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := c.scanFeedbackRows(func(fb *customer.Feedback) error {
		if fb.OccurredAt.After(asOf) {
			return nil
		}
		a := aggs[fb.CustomerID]
		if a == nil {
			return nil
		}
		// The latest answer wins; on a tie in time the higher score, as in SQL.
		if a.nps < 0 || fb.OccurredAt.After(a.npsAt) || (fb.OccurredAt.Equal(a.npsAt) && int64(fb.Score) > a.nps) {
			a.nps, a.npsAt = int64(fb.Score), fb.OccurredAt
		}
		return nil
	}); err != nil {
		return err
	}
	ids := make([]string, 0, len(aggs))
	for id := range aggs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var f customer.Features
	empty := map[string]string{}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return err
		}
		a := aggs[id]
		fillFeatures(&f, id, a, asOf)
		f.Attributes = a.attributes
		if f.Attributes == nil {
			f.Attributes = empty
		}
		if err := fn(&f); err != nil {
			return err
		}
	}
	return nil
}

func fillFeatures(f *customer.Features, id string, a *customerAgg, asOf time.Time) {
	*f = customer.Features{
		ID: id, Email: a.email, TimeZone: a.timeZone,
		Frequency: a.orders, Monetary: a.spend,
		WindowOrders: a.winOrders, WindowSpend: a.winSpend,
		CreatedAt: a.created, NPS: a.nps,
		ConsentEmail: a.consentE, ConsentSMS: a.consentS,
	}
	if a.orders > 0 {
		f.AverageOrderValue = a.spend / float64(a.orders)
		f.FirstOrderAt, f.LastOrderAt = a.first, a.last
		f.RecencyDays = days(asOf.Sub(a.last))
	} else if !a.created.IsZero() {
		f.RecencyDays = days(asOf.Sub(a.created))
	}
	switch {
	case !a.created.IsZero():
		f.TenureDays = days(asOf.Sub(a.created))
	case a.orders > 0:
		f.TenureDays = days(asOf.Sub(a.first))
	}
}

func days(d time.Duration) float64 { return d.Seconds() / 86400 }
