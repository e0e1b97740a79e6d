package loyalty

import "github.com/retention-dev/retention-operator/internal/customer"

// RepeatRates compares repeat purchasing of members and non-members:
//
//	rate(group) = customers in group with >= 2 orders / customers in group with >= 1 order
//
// counting positive-amount orders only. A group with no buyers has rate 0 and Buyers 0.
type RepeatRates struct {
	MemberBuyers       int64   `json:"memberBuyers"`
	MemberRepeaters    int64   `json:"memberRepeaters"`
	MemberRate         float64 `json:"memberRate"`
	NonMemberBuyers    int64   `json:"nonMemberBuyers"`
	NonMemberRepeaters int64   `json:"nonMemberRepeaters"`
	NonMemberRate      float64 `json:"nonMemberRate"`
}

// RepeatCounter accumulates orders one at a time (so a connector can stream them).
type RepeatCounter struct{ orders map[string]int }

// Add counts one order.
func (r *RepeatCounter) Add(o *customer.Order) {
	if o.Amount <= 0 {
		return
	}
	if r.orders == nil {
		r.orders = map[string]int{}
	}
	r.orders[o.CustomerID]++
}

// Rates splits the counted customers with isMember.
func (r *RepeatCounter) Rates(isMember func(customerID string) bool) RepeatRates {
	var out RepeatRates
	for id, n := range r.orders {
		buyers, repeaters := &out.NonMemberBuyers, &out.NonMemberRepeaters
		if isMember(id) {
			buyers, repeaters = &out.MemberBuyers, &out.MemberRepeaters
		}
		*buyers++
		if n >= 2 {
			*repeaters++
		}
	}
	if out.MemberBuyers > 0 {
		out.MemberRate = float64(out.MemberRepeaters) / float64(out.MemberBuyers)
	}
	if out.NonMemberBuyers > 0 {
		out.NonMemberRate = float64(out.NonMemberRepeaters) / float64(out.NonMemberBuyers)
	}
	return out
}
