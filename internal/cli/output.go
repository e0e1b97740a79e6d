package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	sigsyaml "sigs.k8s.io/yaml"
)

// validateOutput rejects an unknown -o value before any work is done.
func validateOutput(o string) error {
	switch o {
	case "table", "json", "yaml":
		return nil
	}
	return fmt.Errorf("--output %q is not one of table, json, yaml", o)
}

// printStructured writes v as JSON or YAML; it returns false for table
// output so the caller prints its own table.
func printStructured(w io.Writer, format string, v any) (bool, error) {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return true, enc.Encode(v)
	case "yaml":
		raw, err := sigsyaml.Marshal(v)
		if err != nil {
			return true, err
		}
		_, err = w.Write(raw)
		return true, err
	}
	return false, nil
}

// printResult prints res as the root's -o asks (read from the flags, for
// the verbs built without the shared options): JSON or YAML, else table.
func printResult[R any](cmd *cobra.Command, res R, table func(io.Writer, R) error) error {
	out, _ := cmd.Flags().GetString("output")
	if done, err := printStructured(cmd.OutOrStdout(), out, res); done || err != nil {
		return err
	}
	return table(cmd.OutOrStdout(), res)
}
