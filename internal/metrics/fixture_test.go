package metrics

import (
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

func at(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The shared fixture: window [2024-02-01, 2024-03-01), 29 days, so with the
// default lookback "active at start" means an order in [2024-01-03, 2024-02-01)
// and "active at end" an order in [2024-02-01, 2024-03-01).
//
//	A: 2023-12-10 50, 2024-01-15 30, 2024-02-10 20, 2024-02-20 40  active start+end
//	B: 2024-01-20 100                                             active start, lost
//	C: 2024-02-05 10, 2024-02-06 15                                new in the window
//	D: 2023-11-01 60, 2024-02-15 25                                reactivated
//	E: 2024-01-25 5, 2024-02-28 35                                 active start+end
//	F: 2024-03-05 70                                               after the window
var (
	windowStart = at("2024-02-01")
	windowEnd   = at("2024-03-01")
)

func fixtureOrders() []customer.Order {
	o := func(id, day string, amount float64) customer.Order {
		return customer.Order{CustomerID: id, OccurredAt: at(day), Amount: amount}
	}
	return []customer.Order{
		o("A", "2024-02-20", 40), o("A", "2023-12-10", 50), o("A", "2024-01-15", 30), o("A", "2024-02-10", 20),
		o("B", "2024-01-20", 100),
		o("C", "2024-02-06", 15), o("C", "2024-02-05", 10),
		o("D", "2024-02-15", 25), o("D", "2023-11-01", 60),
		o("E", "2024-01-25", 5), o("E", "2024-02-28", 35),
		o("F", "2024-03-05", 70),
	}
}

// Latest answers before the window end: A 6 (detractor; the earlier 10 is
// superseded), B 9 (promoter), C 7 (passive), D 3 (detractor), E 8 (passive;
// E's 10 is after the window end). NPS = (1 - 2)/5·100 = -20.
func fixtureFeedback() []customer.Feedback {
	f := func(id, day string, score int) customer.Feedback {
		return customer.Feedback{CustomerID: id, OccurredAt: at(day), Score: score}
	}
	return []customer.Feedback{
		f("A", "2024-01-05", 10), f("A", "2024-02-11", 6), f("B", "2024-02-01", 9), f("C", "2024-02-07", 7),
		f("D", "2024-02-16", 3), f("E", "2024-03-02", 10), f("E", "2024-01-26", 8), f("F", "2024-02-01", 42),
	}
}

type customerOrder struct{ id, day string }

func toOrders(in []customerOrder) []customer.Order {
	out := make([]customer.Order, len(in))
	for i, c := range in {
		out[i] = customer.Order{CustomerID: c.id, OccurredAt: at(c.day), Amount: 1}
	}
	return out
}
