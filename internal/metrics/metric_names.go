package metrics

// Metric names as a metric job requests them and as Result.Map keys them.
const (
	MetricRetentionRate      = "retentionRate"
	MetricChurnRate          = "churnRate"
	MetricRepeatPurchaseRate = "repeatPurchaseRate"
	MetricPurchaseFrequency  = "purchaseFrequency"
	MetricAverageOrderValue  = "averageOrderValue"
	MetricHistoricalCLV      = "historicalCLV"
	MetricPredictedCLV       = "predictedCLV"
	MetricNPS                = "nps"
	MetricCohortRetention    = "cohortRetention"
)

// AllMetrics lists every metric name a metric job knows, in a stable order.
var AllMetrics = []string{
	MetricRetentionRate, MetricChurnRate, MetricRepeatPurchaseRate, MetricPurchaseFrequency,
	MetricAverageOrderValue, MetricHistoricalCLV, MetricPredictedCLV, MetricNPS, MetricCohortRetention,
}
