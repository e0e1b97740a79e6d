package cli

import "fmt"

// sprintf formats only when there are arguments, so a message holding a
// literal % (e.g. a CEL error quoting the source) is printed as is.
func sprintf(format string, a ...any) string {
	if len(a) == 0 {
		return format
	}
	return fmt.Sprintf(format, a...)
}
