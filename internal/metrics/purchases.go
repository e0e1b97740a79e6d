package metrics

// PurchaseCounts summarise the orders placed in a window [start, end).
type PurchaseCounts struct {
	// Customers with at least one order in the window.
	Customers int
	// RepeatCustomers with more than one order in the window.
	RepeatCustomers int
	Orders          int
	Revenue         float64
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
