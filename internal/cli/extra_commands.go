package cli

import "github.com/spf13/cobra"

// extraCommands are the verbs other files of this package contribute:
// segment.go (newSegmentCommand), clv.go (newCLVCommand) and, for local
// runs, dev.go (newDevCommand).
//
// PLACE FOR newDevCommand: when internal/cli/dev.go exists, add
// newDevCommand() to the list below.
func extraCommands() []*cobra.Command {
	return []*cobra.Command{
		// newSegmentCommand(),
		// newCLVCommand(),
		// newDevCommand(),
	}
}
