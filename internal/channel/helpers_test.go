package channel

import "errors"

// asError is errors.As for *Error.
func asError(err error, target **Error) bool { return errors.As(err, target) }
