package cli

import "github.com/spf13/cobra"

func newPreviewCommand(*globalOptions) *cobra.Command { return &cobra.Command{Use: "preview"} }
func newReportCommand(*globalOptions) *cobra.Command  { return &cobra.Command{Use: "report"} }
func newJourneyCommand(*globalOptions) *cobra.Command { return &cobra.Command{Use: "journey"} }
