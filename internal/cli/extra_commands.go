package cli

import "github.com/spf13/cobra"

// extraCommands are the verbs other files of this package contribute:
// dev.go (newDevCommand, local runs), clv.go (newCLVCommand) and segment.go
// (newSegmentCommand: uncomment it once segment.go is committed).
func extraCommands() []*cobra.Command {
	return []*cobra.Command{
		newDevCommand(),
		// newSegmentCommand(),
		newCLVCommand(),
	}
}
