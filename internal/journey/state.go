package journey

import "time"

// Status of one journey instance.
type Status string

const (
	// Active journeys have more steps to run (possibly waiting until DueAt).
	Active Status = "active"
	// Completed journeys ran off the end of their steps.
	Completed Status = "completed"
	// Exited journeys left through an exit step or by converting on the goal.
	Exited Status = "exited"
)

// State is one customer's journey through one playbook. Enrolment counts
// entries (1 for the first) so that a re-entered journey gets new
// idempotency keys.
type State struct {
	CustomerID string
	Enrolment  int
	// Step is the index of the next step to run; StepName its name (for CEL
	// and summaries).
	Step     int
	StepName string
	Status   Status
	// Waiting is true once the wait step at Step has computed DueAt.
	Waiting bool
	// Holdout customers walk the steps but are never messaged.
	Holdout   bool
	EnteredAt time.Time
	// DueAt is when the journey should next be advanced.
	DueAt       time.Time
	Sends       int
	Converted   bool
	ConvertedAt time.Time
	FinishedAt  time.Time
	// Event is the event that enrolled the customer (event triggers only;
	// nil otherwise): templates and conditions read its properties. It is
	// customer data: it lives only in the state store and is erased with
	// the customer.
	Event *TriggerEvent
}

// Done reports whether the journey has ended.
func (s *State) Done() bool { return s.Status == Completed || s.Status == Exited }
