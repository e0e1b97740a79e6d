package segment

import "fmt"

// CriteriaError is a compile error in a criteria expression, with the
// position CEL reports so a controller can write
// "InvalidCriteria: <Message> at <Line>:<Column>" into a status condition.
type CriteriaError struct {
	// Message is CEL's message, e.g. "undeclared reference to 'customer.recncyDays' (in container '')".
	Message string
	// Line is 1-based; Column is 1-based (as in CEL's own display). Both are 0 when unknown.
	Line   int
	Column int
}

// Error renders "<message> at <line>:<column>" (without position when unknown).
func (e *CriteriaError) Error() string {
	if e.Line == 0 {
		return e.Message
	}
	return fmt.Sprintf("%s at %d:%d", e.Message, e.Line, e.Column)
}
