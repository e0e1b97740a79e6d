// Package customer holds the plain data types every engine, connector and
// worker speaks: customers, their orders, events, feedback, and the feature row
// computed from them. It imports nothing but the standard library so that the
// engines stay testable with plain values.
package customer

import "time"

// Customer is one row of the customers table (or its file equivalent).
type Customer struct {
	ID           string
	Email        string
	Phone        string
	Name         string
	TimeZone     string // IANA name; empty means the playbook's default
	CreatedAt    time.Time
	Attributes   map[string]string
	ConsentEmail bool
	ConsentSMS   bool
}

// Order is one purchase. Amount is in the program's currency; a refund is a
// separate order with a negative amount only where a connector says so.
type Order struct {
	CustomerID string
	OrderID    string
	Amount     float64
	OccurredAt time.Time
}

// Event is a behavioural event (page view, app open, support ticket, ...).
type Event struct {
	CustomerID string
	Type       string
	OccurredAt time.Time
	Properties map[string]string
}

// Feedback is one survey answer on the 0-10 NPS scale.
type Feedback struct {
	CustomerID string
	Score      int
	OccurredAt time.Time
}

// Features is the per-customer row that segments are evaluated over. Durations
// are in days so that CEL expressions read naturally (customer.recencyDays > 90).
// Fields that a data source cannot supply are left at their zero value and
// flagged by the Has* booleans.
type Features struct {
	ID       string
	Email    string
	TimeZone string

	// RecencyDays is days since the last order (or since sign-up when there is none).
	RecencyDays float64
	// Frequency is the number of orders ever placed.
	Frequency int64
	// Monetary is the total spend ever.
	Monetary float64
	// AverageOrderValue is Monetary / Frequency (0 without orders).
	AverageOrderValue float64
	// TenureDays is days since the customer was created (or first order).
	TenureDays float64
	// WindowOrders and WindowSpend count orders and spend inside the segment window.
	WindowOrders int64
	WindowSpend  float64

	FirstOrderAt time.Time
	LastOrderAt  time.Time
	CreatedAt    time.Time

	// NPS is the last feedback score, -1 when the customer never answered.
	NPS int64

	LoyaltyTier   string
	LoyaltyPoints int64

	// ChurnProbability is 1 - P(alive) from BG/NBD, PredictedCLV the discounted
	// CLV; both are zero unless the segment asked for predictive features.
	ChurnProbability float64
	PredictedCLV     float64

	ConsentEmail bool
	ConsentSMS   bool
	Attributes   map[string]string
}
