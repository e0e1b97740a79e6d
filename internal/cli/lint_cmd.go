package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// errLintFailed makes the command exit 1 after the findings are printed.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// ExitCode returns the process exit code for an error from the root command.
func ExitCode(err error) int {
	if e, ok := err.(*exitError); ok {
		return e.code
	}
	return 1
}

func newLintCommand(opts *globalOptions) *cobra.Command {
	var allowExternal bool
	cmd := &cobra.Command{
		Use:   "lint [FILES|DIRS|-]...",
		Short: "Check manifests offline: CRD schemas and rules, CEL criteria, journeys, cron schedules, references",
		Long: `lint checks retention.dev manifests without a cluster, for a GitOps CI step.

It validates every object against the CRD schemas and their x-kubernetes-validations
rules with the API server's own libraries, compiles segment criteria and journey
conditions and templates as the operator does, parses cron schedules, and checks
that every Segment, Channel, LoyaltyProgram and DataSource a manifest names is
defined in the linted files (unless --allow-external-refs). Missing Secrets and
ConfigMaps are warnings. Findings are printed as

  file:line: kind/name: field: message

and the exit status is 1 when there is any error.`,
		Example: `  retentionctl lint config/samples
  retentionctl lint deploy/playbooks --allow-external-refs
  retentionctl lint -o json deploy/ > lint.json
  kustomize build overlays/prod | retentionctl lint -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := yamlFiles(args)
			if err != nil {
				return err
			}
			l, err := newLinter(allowExternal)
			if err != nil {
				return err
			}
			l.stdin = cmd.InOrStdin()
			bar := newProgress(cmd.ErrOrStderr(), "lint", len(files))
			probs := l.lintFiles(cmd.Context(), files, bar.Set)
			bar.Done()
			out := cmd.OutOrStdout()
			if probs == nil {
				probs = []problem{} // -o json prints [], not null, when all is well
			}
			// A list of findings, as docs/cli.md says; the counts are the
			// summary line on stderr.
			if ok, err := printStructured(out, opts.output, probs); ok {
				if err != nil {
					return err
				}
			} else {
				for _, p := range probs {
					fmt.Fprintln(out, p.String())
				}
			}
			n := countErrors(probs)
			fmt.Fprintf(cmd.ErrOrStderr(), "%d files, %d objects, %d errors, %d warnings\n", len(files), len(l.docs), n, len(probs)-n)
			if n > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&allowExternal, "allow-external-refs", false, "do not report references to retention.dev objects defined outside the linted files")
	return cmd
}

// IsSilent reports whether err only carries an exit status (the command has
// already printed what went wrong).
func IsSilent(err error) bool {
	_, ok := err.(*exitError)
	return ok
}
