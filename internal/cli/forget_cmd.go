package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/store"
)

// forgotten is one store's answer to `forget`. The customer id is not in
// it: the output may be pasted into a ticket, the pseudonym is enough to
// find the erasure log row.
type forgotten struct {
	Store string `json:"store"`
	*store.Erasure
}

func newForgetCommand() *cobra.Command {
	var stores []string
	cmd := &cobra.Command{
		Use:   "forget CUSTOMER_ID",
		Short: "Erase one customer's personal data from the operator's state stores",
		Long: `forget removes or anonymises CUSTOMER_ID's personal data in every table of
each state store given (--state-store, repeatable; default $RETENTION_STATE_STORE):
journeys and the delivery ledger keep their figures under a random tombstone
with addresses and bodies cleared, segment snapshots and feature rows are
deleted, and the loyalty member and points entries keep their points (totals
and liability do not move) under the tombstone. Each store is changed in one
transaction and records the erasure (time, an HMAC pseudonym, rows touched)
in its erasure_log; running it again is harmless. The workers then skip the
customer when they read the DataSource, which still holds them: deleting
them there is the DataSource owner's job. See docs/privacy.md.`,
		Example: `  retentionctl forget cust-4711 --state-store postgres://retention@db:5432/state
  RETENTION_STATE_STORE=sqlite:./state.db retentionctl forget cust-4711 -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(stores) == 0 {
				if url := os.Getenv(contract.EnvStateStore); url != "" {
					stores = []string{url}
				}
			}
			if len(stores) == 0 {
				return fmt.Errorf("no state store: pass --state-store URL (once per store) or set %s (postgres://... or sqlite:PATH)", contract.EnvStateStore)
			}
			var out []forgotten
			for _, url := range stores {
				e, err := forgetIn(cmd, url, args[0])
				if err != nil {
					return err
				}
				out = append(out, forgotten{Store: store.RedactURL(url), Erasure: e})
			}
			w := cmd.OutOrStdout()
			if done, err := printStructured(w, outputFormat(cmd), out); done {
				return err
			}
			return printForgotten(w, out)
		},
	}
	cmd.Flags().StringArrayVar(&stores, "state-store", nil, "state store URL, repeat for each store (default $RETENTION_STATE_STORE)")
	return cmd
}

func forgetIn(cmd *cobra.Command, url, id string) (*store.Erasure, error) {
	db, err := store.Open(cmd.Context(), url)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	e, err := db.Forget(cmd.Context(), id, time.Now())
	if err != nil {
		return nil, fmt.Errorf("state store %s: %w", store.RedactURL(url), err)
	}
	return e, nil
}

// outputFormat reads the root's -o (this command is built without the
// shared options, as the other extra commands are).
func outputFormat(cmd *cobra.Command) string {
	if f := cmd.Flag("output"); f != nil {
		return f.Value.String()
	}
	return "table"
}
