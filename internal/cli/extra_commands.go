package cli

import "github.com/spf13/cobra"

// extraCommands are the verbs other files of this package contribute:
// dev.go (newDevCommand, local runs), and — when they land — segment.go
// (newSegmentCommand) and clv.go (newCLVCommand).
//
// PLACE FOR newSegmentCommand and newCLVCommand: when internal/cli/segment.go
// and internal/cli/clv.go exist, uncomment them below.
func extraCommands() []*cobra.Command {
	return []*cobra.Command{
		newDevCommand(),
		// newSegmentCommand(),
		// newCLVCommand(),
	}
}
