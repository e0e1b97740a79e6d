// Package report carries a worker's compact summary (aggregates only, never
// customer data) back to the controller. The worker writes JSON into a report
// ConfigMap that the controller created and owns; the controller folds it into
// the custom resource's status.
//
// Why a ConfigMap and not the container termination message: the campaign and
// loyalty workers are long-running Deployments that never terminate, the
// summary must survive pod garbage collection, and the local run (no kubelet,
// workers as processes) has no pod status to carry a termination message. One
// mechanism serves all three workers, the CLI's report command reads the same
// data, and the worker's RBAC is limited to that one ConfigMap by name.
package report

import (
	"time"
)

// Segment is the metric job's summary.
type Segment struct {
	RunTime   time.Time `json:"runTime"`
	Succeeded bool      `json:"succeeded"`
	// Error says why a run failed (names the row or setting, never customer
	// data); publishers pass it through redact.Message.
	Error string `json:"error,omitempty"`
	// DataIssues counts the data rows the run skipped instead of folding them
	// into the figures, by kind (datasource.IssueDuplicateOrder,
	// IssueDuplicateCustomer, IssueOrphanOrder); empty when there were none.
	DataIssues map[string]int64 `json:"dataIssues,omitempty"`
	// DataSourceReachable is false when the run could not reach its data.
	DataSourceReachable bool  `json:"dataSourceReachable"`
	Size                int64 `json:"size"`
	Entered             int64 `json:"entered"`
	Exited              int64 `json:"exited"`
	Customers           int64 `json:"customers"`
	// Metrics are the requested figures by name, as computed: rates in
	// percent (85.5 means 85.5%), NPS on -100..100, the rest in the data's
	// currency or orders per customer.
	Metrics map[string]Figure `json:"metrics,omitempty"`
	// MetricNotes says, for each requested metric missing from Metrics (or
	// cohortRetention with only empty cohorts), why it has no value and what
	// to change, e.g. retentionRate: "no member was active in the 730d before
	// the window began ...". Dates and counts only, never customer data.
	MetricNotes map[string]string `json:"metricNotes,omitempty"`
	// Cohorts is the monthly cohort retention matrix, in percent, for the report command.
	Cohorts *Cohorts `json:"cohorts,omitempty"`
	// LastSuccess is when a run last succeeded (kept across failed runs).
	LastSuccess *time.Time `json:"lastSuccess,omitempty"`
}

// Cohorts is a cohort retention matrix: Rows[i][k] is the percentage of the
// customers whose first order fell in month Labels[i] who ordered in month i+k.
type Cohorts struct {
	Labels []string    `json:"labels"`
	Sizes  []int64     `json:"sizes"`
	Rows   [][]float64 `json:"rows"`
}

// Playbook is the campaign worker's summary.
type Playbook struct {
	ReportTime time.Time `json:"reportTime"`
	Enrolled   int64     `json:"enrolled"`
	Active     int64     `json:"active"`
	Completed  int64     `json:"completed"`
	Exited     int64     `json:"exited"`
	// Messages = Sent + Failed + Pending + DryRunMessages + sum(Suppressed): send
	// steps that reached an outcome. Suppressed counts messages by reason;
	// Deferred quiet-hours deferrals (not an outcome); ConditionErrors
	// branch/exit conditions that failed.
	Messages        int64            `json:"messages,omitempty"`
	Sent            int64            `json:"sent"`
	Failed          int64            `json:"failed"`
	Pending         int64            `json:"pending,omitempty"`
	DryRunMessages  int64            `json:"dryRunMessages,omitempty"`
	Suppressed      map[string]int64 `json:"suppressed,omitempty"`
	Deferred        int64            `json:"deferred,omitempty"`
	ConditionErrors int64            `json:"conditionErrors,omitempty"`
	Treatment       Arm              `json:"treatment"`
	Holdout         Arm              `json:"holdout"`
	// Lift and its 95% interval in percentage points; nil until both arms have members.
	Lift     *float64 `json:"lift,omitempty"`
	LiftLow  *float64 `json:"liftLow,omitempty"`
	LiftHigh *float64 `json:"liftHigh,omitempty"`
	// Steps counts active journeys per step (for `retentionctl journey members`).
	Steps map[string]int64 `json:"steps,omitempty"`
	// Variants and VariantWinners are the A/B/n tests (playbook_variants.go).
	Variants       []Variant       `json:"variants,omitempty"`
	VariantWinners []VariantWinner `json:"variantWinners,omitempty"`
	// Broadcast is where a broadcast trigger stands (nil for other triggers).
	Broadcast *Broadcast `json:"broadcast,omitempty"`
	Error     string     `json:"error,omitempty"`
}

// Broadcast is a broadcast trigger's progress: State is one of
// journey.BroadcastState's values; StartedAt is when members were enrolled.
type Broadcast struct {
	State     string     `json:"state"`
	StartedAt *time.Time `json:"startedAt,omitempty"`
}

// Arm is one side of the holdout experiment.
type Arm struct {
	Enrolled  int64 `json:"enrolled"`
	Converted int64 `json:"converted"`
}

// Loyalty is the loyalty metrics job's summary.
type Loyalty struct {
	ReportTime        time.Time        `json:"reportTime"`
	Members           int64            `json:"members"`
	MembersPerTier    map[string]int64 `json:"membersPerTier,omitempty"`
	PointsOutstanding int64            `json:"pointsOutstanding"`
	// Liability is in the program's currency; the rates are in percent, and
	// the repeat rates are nil when the run had no such buyers.
	Liability            Figure  `json:"liability"`
	RedemptionRate       Figure  `json:"redemptionRate"`
	RepeatRateMembers    *Figure `json:"repeatRateMembers,omitempty"`
	RepeatRateNonMembers *Figure `json:"repeatRateNonMembers,omitempty"`
	Error                string  `json:"error,omitempty"`
}
