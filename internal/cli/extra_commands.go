package cli

import "github.com/spf13/cobra"

// extraCommands are the verbs other files of this package contribute:
// dev.go (newDevCommand, local runs), segment.go (newSegmentCommand) and
// clv.go (newCLVCommand), events_cmd.go (newEventsCommand) and
// feedback_cmd.go (newFeedbackCommand).
func extraCommands() []*cobra.Command {
	return []*cobra.Command{
		newDevCommand(),
		newSegmentCommand(),
		newCLVCommand(),
		newForgetCommand(),
		newEventsCommand(),
		newFeedbackCommand(),
	}
}

// commandGroup is a parent command that only holds its subcommands.
func commandGroup(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short}
	cmd.AddCommand(subs...)
	return cmd
}
