// Package datasource reads customers, orders, events and feedback from where a
// retailer keeps them (PostgreSQL, SQLite, or exported files) and computes the
// per-customer feature rows that segments are evaluated over. For databases the
// features are computed where the data lives, with one GROUP BY query, so the
// operator never pulls millions of order rows over the network.
package datasource

import (
	"time"
)

// FeatureQuery says which feature rows to compute.
type FeatureQuery struct {
	// AsOf is the evaluation instant; orders, feedback and customers after it
	// are ignored so that a re-run for the same AsOf gives the same rows.
	AsOf time.Time
	// Window is the look-back for WindowOrders/WindowSpend: orders with
	// AsOf-Window < occurred_at <= AsOf. Zero means no window (both stay 0).
	Window time.Duration
	// Where is an optional SQL predicate over the feature column names
	// ("recencyDays" > $1). Databases apply it; file sources ignore it and the
	// caller evaluates the segment's CEL in Go.
	Where string
	// Args bind the $N placeholders in Where.
	Args []any
}
