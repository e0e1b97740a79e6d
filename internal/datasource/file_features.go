package datasource

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// customerAgg is the per-customer state of a file features scan: the
// customer's own fields plus running order and feedback aggregates, so memory
// grows with customers, never with orders.
type customerAgg struct {
	email, timeZone string
	attributes      string // raw JSON, parsed when the row is emitted (a map per customer would dominate memory)
	// Instants are Unix microseconds (PostgreSQL's precision) rather than
	// time.Time: 8 bytes instead of 24, four times per customer.
	created, first, last, npsAt int64 // created is zeroMicros when the source has none
	orders, winOrders           int64
	nps                         int64 // -1 until a feedback row at or before AsOf
	spend, winSpend             float64
	consentE, consentS          bool
}

// zeroMicros is Go's zero time in Unix microseconds.
var zeroMicros = time.Time{}.UnixMicro()

func fromMicros(us int64) time.Time {
	if us == zeroMicros {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
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
	c.issues.reset()
	aggs := map[string]*customerAgg{}
	// later holds customers created after AsOf: their orders are not orphans.
	later := map[string]struct{}{}
	in := interner{}
	path, name, haveCustomers := c.tablePath("customers")
	if haveCustomers {
		if err := c.readCustomerAggs(ctx, path, name, asOf, aggs, later, in); err != nil {
			return err
		}
	}
	var orphans int64
	err := c.scanOrderRows(&c.issues, func(o *customer.Order) error {
		if o.OccurredAt.After(asOf) {
			return nil
		}
		a := aggs[o.CustomerID]
		if a == nil {
			if haveCustomers {
				// An order of an unknown customer: dropped, as the SQL join
				// drops it, but counted.
				if _, ok := later[o.CustomerID]; !ok {
					orphans++
				}
				return nil
			}
			a = &customerAgg{nps: -1, created: zeroMicros}
			aggs[strings.Clone(o.CustomerID)] = a // the row string is reused; keep only the id
		}
		a.orders++
		a.spend += o.Amount
		at := o.OccurredAt.UnixMicro()
		if a.orders == 1 || at < a.first {
			a.first = at
		}
		if a.orders == 1 || at > a.last {
			a.last = at
		}
		if o.OccurredAt.After(windowStart) {
			a.winOrders++
			a.winSpend += o.Amount
		}
		return nil
	})
	c.issues.add(IssueOrphanOrder, orphans)
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
		at := fb.OccurredAt.UnixMicro()
		if a.nps < 0 || at > a.npsAt || (at == a.npsAt && int64(fb.Score) > a.nps) {
			a.nps, a.npsAt = int64(fb.Score), at
		}
		return nil
	}); err != nil {
		return err
	}
	ids := slices.Sorted(maps.Keys(aggs))
	var f customer.Features
	attrs := map[string]string{}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return err
		}
		a := aggs[id]
		fillFeatures(&f, id, a, asOf)
		if err := parseAttributesInterned([]byte(a.attributes), attrs, in); err != nil {
			return fmt.Errorf("datasource file: customer attributes: %w", err) // validated when read; unreachable
		}
		f.Attributes = attrs
		if err := fn(&f); err != nil {
			return err
		}
	}
	return nil
}

// readCustomerAggs reads the customers file into aggs (customers created
// after asOf into later), validating every field but keeping attributes as
// their JSON text. A repeated id keeps its first row and is counted.
func (c *fileConnector) readCustomerAggs(ctx context.Context, path, name string, asOf time.Time, aggs map[string]*customerAgg, later map[string]struct{}, in interner) error {
	scratch := map[string]string{}
	var repeats int64
	defer func() { c.issues.add(IssueDuplicateCustomer, repeats) }()
	return c.eachRow(path, name, customerColumns, func(v []string, line int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !c.cfg.Partition.Has(v[0]) {
			return nil // another shard's customer
		}
		cu, err := parseCustomerFields(v, scratch, in)
		if err != nil {
			return fmt.Errorf("datasource file %s line %d: %w", name, line, err)
		}
		if _, dup := aggs[cu.ID]; dup {
			repeats++
			return nil
		}
		if _, dup := later[cu.ID]; dup {
			repeats++
			return nil
		}
		if !cu.CreatedAt.IsZero() && cu.CreatedAt.After(asOf) {
			later[cu.ID] = struct{}{} // not a customer yet as of AsOf
			return nil
		}
		aggs[cu.ID] = &customerAgg{email: cu.Email, timeZone: cu.TimeZone, created: cu.CreatedAt.UnixMicro(),
			consentE: cu.ConsentEmail, consentS: cu.ConsentSMS, attributes: strings.Clone(v[6]), nps: -1}
		return nil
	})
}

func fillFeatures(f *customer.Features, id string, a *customerAgg, asOf time.Time) {
	now := asOf.UnixMicro()
	*f = customer.Features{
		ID: id, Email: a.email, TimeZone: a.timeZone,
		Frequency: a.orders, Monetary: a.spend,
		WindowOrders: a.winOrders, WindowSpend: a.winSpend,
		CreatedAt: fromMicros(a.created), NPS: a.nps,
		ConsentEmail: a.consentE, ConsentSMS: a.consentS,
	}
	hasCreated := a.created != zeroMicros
	if a.orders > 0 {
		f.AverageOrderValue = a.spend / float64(a.orders)
		f.FirstOrderAt, f.LastOrderAt = fromMicros(a.first), fromMicros(a.last)
		f.RecencyDays = microDays(now - a.last)
	} else if hasCreated {
		f.RecencyDays = microDays(now - a.created)
	}
	switch {
	case hasCreated:
		f.TenureDays = microDays(now - a.created)
	case a.orders > 0:
		f.TenureDays = microDays(now - a.first)
	}
}

// microDays converts a span in microseconds to days.
func microDays(us int64) float64 { return float64(us) / 86_400e6 }
