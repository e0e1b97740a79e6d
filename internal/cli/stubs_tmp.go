package cli

import "github.com/spf13/cobra"

func newPreviewCommand(*globalOptions) *cobra.Command { return &cobra.Command{Use: "preview"} }
