package clv

import (
	"fmt"
	"math"
	"time"
)

// PeriodsPerMonth is the number of model time units in a month, as lifetimes
// uses it for customer_lifetime_value: 30 for days, 4.345 for weeks (≈ 30.4
// days / 7), 1 for months; other units get 30 days / unit.
func PeriodsPerMonth(unit time.Duration) float64 {
	switch unit {
	case 24 * time.Hour:
		return 30
	case 7 * 24 * time.Hour:
		return 4.345
	case time.Hour:
		return 30 * 24
	}
	return float64(30*24*time.Hour) / float64(unit)
}

// LifetimeValue is the discounted CLV of a customer over the next
// horizonMonths months, as lifetimes' customer_lifetime_value computes it:
//
//	CLV = Σ_{i=1..H} E[Z|x,m] · (E[Y(i·f)|x,t_x,T] - E[Y((i-1)·f)|x,t_x,T]) / (1+d)^i
//
// with f = periodsPerMonth (model units per month, see PeriodsPerMonth), d the
// monthly discount rate (e.g. 0.01), E[Y] from the BG/NBD model and E[Z] the
// Gamma-Gamma conditional expected average profit. Each month's purchases are
// the difference of cumulative expectations.
func LifetimeValue(bg BGNBD, gg GammaGamma, s Summary, horizonMonths int, monthlyDiscount, periodsPerMonth float64) (float64, error) {
	if err := checkCLVSettings(horizonMonths, monthlyDiscount, periodsPerMonth); err != nil {
		return 0, err
	}
	return gg.ConditionalExpectedAverageProfit(s.Frequency, s.Monetary) *
		discountedPurchases(bg, s.Frequency, s.Recency, s.T, horizonMonths, monthlyDiscount, periodsPerMonth), nil
}

// discountedPurchases is the purchase part of LifetimeValue,
//
//	Σ_{i=1..H} (E[Y(i·f)|x,t_x,T] - E[Y((i-1)·f)|x,t_x,T]) / (1+d)^i
//
// so that LifetimeValue = E[Z|x,m] · discountedPurchases.
func discountedPurchases(bg BGNBD, x, tx, T float64, horizonMonths int, monthlyDiscount, periodsPerMonth float64) float64 {
	var sum, prev float64
	discount := 1.0
	for i := 1; i <= horizonMonths; i++ {
		cum := bg.ConditionalExpectedPurchases(float64(i)*periodsPerMonth, x, tx, T)
		discount /= 1 + monthlyDiscount
		sum += (cum - prev) * discount
		prev = cum
	}
	return sum
}

func checkCLVSettings(horizonMonths int, monthlyDiscount, periodsPerMonth float64) error {
	if horizonMonths < 0 {
		return fmt.Errorf("horizon %d months must not be negative", horizonMonths)
	}
	if !(monthlyDiscount > -1) || math.IsInf(monthlyDiscount, 0) {
		return fmt.Errorf("monthly discount rate %v must be greater than -1 (e.g. 0.01 for 1%%)", monthlyDiscount)
	}
	if !(periodsPerMonth > 0) || math.IsInf(periodsPerMonth, 0) {
		return fmt.Errorf("periods per month %v must be positive (4.345 for weeks, 30 for days)", periodsPerMonth)
	}
	return nil
}
