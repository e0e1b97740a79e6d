// Package metrics computes retention metrics over a time window from plain
// orders, feedback and feature rows: retention and churn rate, repeat-purchase
// rate, purchase frequency, average order value, historical and predicted
// CLV, NPS and a monthly cohort retention matrix.
//
// Windows are half-open, [start, end): an order at exactly end belongs to the
// next window. Rates are percentages (0-100); NPS is on its usual -100..100
// scale. Each function states its formula in its doc comment. Compute bundles
// them for a metric job.
package metrics
