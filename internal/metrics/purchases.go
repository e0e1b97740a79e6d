package metrics

import (
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// PurchaseCounts summarise the orders placed in a window [start, end).
type PurchaseCounts struct {
	// Customers with at least one order in the window.
	Customers int
	// RepeatCustomers with more than one order in the window.
	RepeatCustomers int
	Orders          int
	Revenue         float64
}

// CountPurchases counts orders with start <= OccurredAt < end.
func CountPurchases(orders []customer.Order, start, end time.Time) PurchaseCounts {
	perCustomer := make(map[string]int)
	var c PurchaseCounts
	for _, o := range orders {
		if o.OccurredAt.Before(start) || !o.OccurredAt.Before(end) {
			continue
		}
		perCustomer[o.CustomerID]++
		c.Orders++
		c.Revenue += o.Amount
	}
	c.Customers = len(perCustomer)
	for _, n := range perCustomer {
		if n > 1 {
			c.RepeatCustomers++
		}
	}
	return c
}

// RepeatPurchaseRate is, in percent,
//
//	repeat purchase rate = customers with > 1 order / customers with >= 1 order · 100
//
// over the window. ok is false without customers.
func RepeatPurchaseRate(c PurchaseCounts) (rate float64, ok bool) {
	if c.Customers == 0 {
		return 0, false
	}
	return float64(c.RepeatCustomers) / float64(c.Customers) * 100, true
}

// PurchaseFrequency is the mean number of orders per purchasing customer in
// the window:
//
//	purchase frequency = orders / customers with >= 1 order
func PurchaseFrequency(c PurchaseCounts) (freq float64, ok bool) {
	if c.Customers == 0 {
		return 0, false
	}
	return float64(c.Orders) / float64(c.Customers), true
}

// AverageOrderValue is
//
//	AOV = revenue / orders
//
// over the window. ok is false without orders.
func AverageOrderValue(c PurchaseCounts) (aov float64, ok bool) {
	if c.Orders == 0 {
		return 0, false
	}
	return c.Revenue / float64(c.Orders), true
}

// HistoricalCLV is the realised lifetime value to date: the mean total spend
// per customer over all orders placed before end,
//
//	historical CLV = Σ amounts of orders before end / customers with an order before end
//
// (equivalently AOV × purchase frequency over each customer's whole history).
// It looks at the whole history, not only the window, because lifetime value
// accrues from the first order. ok is false without customers.
func HistoricalCLV(orders []customer.Order, end time.Time) (clv float64, ok bool) {
	customers := make(map[string]struct{})
	var revenue float64
	for _, o := range orders {
		if !o.OccurredAt.Before(end) {
			continue
		}
		customers[o.CustomerID] = struct{}{}
		revenue += o.Amount
	}
	if len(customers) == 0 {
		return 0, false
	}
	return revenue / float64(len(customers)), true
}
