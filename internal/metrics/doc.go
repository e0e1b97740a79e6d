// Package metrics holds the retention metrics' names and formulas:
// retention and churn rate, repeat-purchase rate, purchase frequency, average
// order value, historical CLV, and a monthly cohort retention matrix built in
// one pass (CohortBuilder). The metric job (internal/worker/metrics) feeds
// them the counts its data source aggregates; the in-memory reference
// computation the tests check the formulas with is in reference_test.go.
//
// Windows are half-open, [start, end): an order at exactly end belongs to the
// next window. Rates are percentages (0-100); NPS is on its usual -100..100
// scale. Each function states its formula in its doc comment.
package metrics
