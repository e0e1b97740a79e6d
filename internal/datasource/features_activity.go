package datasource

import (
	"context"
	"fmt"
	"strconv"

	"github.com/retention-dev/retention-operator/internal/customer"
	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
)

// FeatureActivityScanner is implemented by connectors that return each
// customer's order activity (ActivityQuery) in the features scan itself:
// the one GROUP BY over the orders that computes the features also computes
// the activity, so a segment asking for retention, churn or cohorts reads
// its orders once instead of twice (ScanFeatures, then ScanOrderActivity).
type FeatureActivityScanner interface {
	// ScanFeaturesActivity is ScanFeatures with each row's activity over
	// aq's months and active range (aq.Since is not needed: the scan reads
	// every order up to q.AsOf). aq.AsOf must equal q.AsOf. Both arguments
	// of fn are reused between calls.
	ScanFeaturesActivity(ctx context.Context, q FeatureQuery, aq ActivityQuery, fn func(*customer.Features, *OrderActivity) error) error
}

// Names of the two activity columns the features query gains.
const (
	colOrderActive = "orderActive"
	colOrderMonths = "orderMonths"
)

// checkActivity refuses what one row cannot carry or a query that would
// disagree with the features' instant.
func checkActivity(kind string, q FeatureQuery, aq ActivityQuery) error {
	if aq.Months < 0 || aq.Months > MaxActivityMonths {
		return fmt.Errorf("datasource %s: order activity over %d months; at most %d fit a row", kind, aq.Months, MaxActivityMonths)
	}
	if !aq.AsOf.Equal(q.AsOf) {
		return fmt.Errorf("datasource %s: order activity as of %s, features as of %s", kind, aq.AsOf, q.AsOf)
	}
	return nil
}

// firstMonthIndex is year·12 + month - 1 of aq.MonthsFrom in UTC, the
// index month bits count from.
func (aq ActivityQuery) firstMonthIndex() int {
	first := aq.MonthsFrom.UTC()
	return first.Year()*12 + int(first.Month()) - 1
}

// activityColumns are the outer columns; a customer without orders has no
// activity.
func activityColumns(d store.Dialect, aq *ActivityQuery) string {
	switch {
	case aq == nil:
		return ""
	case d == store.SQLite:
		return `,
	COALESCE(o.act, 0) AS "` + colOrderActive + `",
	COALESCE(o.months, 0) AS "` + colOrderMonths + `"`
	}
	return `,
	COALESCE(o.act, false) AS "` + colOrderActive + `",
	COALESCE(o.months, 0)::int8 AS "` + colOrderMonths + `"`
}

// activityAggregates are the per-customer aggregates in the orders
// sub-select (which already keeps occurred_at <= AsOf): the same
// expressions as ScanOrderActivity's query, with the instants inlined as
// literals like the rest of the features query.
func activityAggregates(d store.Dialect, aq *ActivityQuery) string {
	if aq == nil {
		return ""
	}
	first := strconv.Itoa(aq.firstMonthIndex())
	if d == store.SQLite {
		months := "0"
		if aq.Months > 0 {
			months = "COALESCE(sum(DISTINCT CASE WHEN s >= " + epochLiteral(aq.MonthsFrom) +
				" THEN 1 << (CAST(strftime('%Y', occurred_at) AS INTEGER) * 12 + CAST(strftime('%m', occurred_at) AS INTEGER) - 1 - " + first + ") END), 0)"
		}
		return `,
		max(s > ` + epochLiteral(aq.ActiveAfter) + ` AND s <= ` + epochLiteral(aq.ActiveUntil) + `) AS act,
		` + months + ` AS months`
	}
	months := "0::int8"
	if aq.Months > 0 {
		months = "bit_or(CASE WHEN occurred_at >= " + timestampLiteral(aq.MonthsFrom.UTC()) +
			" THEN 1::int8 << (date_part('year', occurred_at AT TIME ZONE 'UTC')::int * 12 + date_part('month', occurred_at AT TIME ZONE 'UTC')::int - 1 - " + first + ") END)"
	}
	return `,
		bool_or(occurred_at > ` + timestampLiteral(aq.ActiveAfter.UTC()) + ` AND occurred_at <= ` + timestampLiteral(aq.ActiveUntil.UTC()) + `) AS act,
		` + months + ` AS months`
}
