package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/workload"
)

func newJourneyCommand(opts *globalOptions) *cobra.Command {
	return commandGroup("journey", "Inspect journeys in the campaign state store", newJourneyMembersCommand(opts))
}

// member is one row of `journey members`. Customer ids are shown on
// purpose: this is an operator's tool reading the store directly (they
// never appear in status, logs or summaries).
type member struct {
	CustomerID string     `json:"customerId"`
	Step       string     `json:"step"`
	Status     string     `json:"status"`
	Holdout    bool       `json:"holdout"`
	Enrolment  int        `json:"enrolment"`
	EnteredAt  time.Time  `json:"enteredAt"`
	NextAction *time.Time `json:"nextActionAt,omitempty"`
	Sends      int        `json:"sends"`
	Converted  bool       `json:"converted"`
}

func newJourneyMembersCommand(opts *globalOptions) *cobra.Command {
	var stateStore, step string
	var all bool
	var limit int
	cmd := &cobra.Command{
		Use:   "members PLAYBOOK",
		Short: "Who is in a playbook's journey, at which step, and when they move next",
		Long: `members reads the campaign worker's state store directly (the same URL the
worker uses: --state-store or $RETENTION_STATE_STORE; postgres://... or
sqlite:PATH) and lists the customers in the journey of PLAYBOOK in the
namespace -n: customer id, step, status, when they entered and when their
next action is due. Only active journeys are listed unless --all.`,
		Example: `  retentionctl journey members at-risk-winback -n shop --state-store postgres://retention@db:5432/state
  RETENTION_STATE_STORE=sqlite:./state.db retentionctl journey members onboarding-series -n shop --step tips
  retentionctl journey members onboarding-series -n shop --all -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			url := stateStore
			if url == "" {
				url = os.Getenv(contract.EnvStateStore)
			}
			if url == "" {
				return fmt.Errorf("no state store: pass --state-store URL or set %s (postgres://... or sqlite:PATH)", contract.EnvStateStore)
			}
			ns := resolveNamespace(opts)
			members, err := loadMembers(cmd.Context(), url, ns+"/"+args[0], step, all)
			if err != nil {
				return err
			}
			total := len(members)
			if limit > 0 && len(members) > limit {
				members = members[:limit]
			}
			out := cmd.OutOrStdout()
			if done, err := printStructured(out, opts.output, members); done {
				return err
			}
			if err := printMembers(out, members); err != nil {
				return err
			}
			if total > len(members) {
				fmt.Fprintf(cmd.ErrOrStderr(), "%d of %d shown; --limit 0 for all\n", len(members), total)
			} else if total == 0 {
				what := "active journeys"
				if all {
					what = "journeys"
				}
				if step != "" {
					what += " at step " + step
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "no %s for playbook %s/%s\n", what, ns, args[0])
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&stateStore, "state-store", "", "state store URL (default $RETENTION_STATE_STORE)")
	f.StringVar(&step, "step", "", "only customers at this step")
	f.BoolVar(&all, "all", false, "include completed and exited journeys")
	f.IntVar(&limit, "limit", 200, "show at most this many (0 = all)")
	return cmd
}

// resolveNamespace is -n, else the kubeconfig context's namespace (read
// offline), else "default".
func resolveNamespace(opts *globalOptions) string {
	if opts.namespace != "" {
		return opts.namespace
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if opts.kubeconfig != "" {
		rules.ExplicitPath = opts.kubeconfig
	}
	ns, _, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).Namespace()
	if err != nil || ns == "" {
		return "default"
	}
	return ns
}

// loadMembers reads the journey states of playbook ("namespace/name", the
// key the campaign worker stores them under), without migrating or writing.
func loadMembers(ctx context.Context, url, playbook, step string, all bool) ([]member, error) {
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") && url != ":memory:" {
		// A SQLite path: refuse to create an empty database by typo, and map
		// the container path as local runs do.
		local := workload.PathsFromEnv().Of(strings.TrimPrefix(url, "sqlite:"))
		path, _, _ := strings.Cut(local, "?")
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("state store %s: %w", url, err)
		}
		url = "sqlite:" + local
	}
	db, err := store.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("state store: %w", err)
	}
	defer db.Close()
	states, err := db.LoadJourneyStates(ctx, playbook, 0, 1)
	if err != nil {
		if strings.Contains(err.Error(), "journey_states") {
			return nil, fmt.Errorf("state store has no journey tables: no campaign worker has run against it (%v)", err)
		}
		return nil, err
	}
	var out []member
	for _, st := range states {
		if !all && st.Status != journey.Active {
			continue
		}
		if step != "" && st.StepName != step {
			continue
		}
		m := member{CustomerID: st.CustomerID, Step: st.StepName, Status: string(st.Status), Holdout: st.Holdout,
			Enrolment: st.Enrolment, EnteredAt: st.EnteredAt.UTC(), Sends: st.Sends, Converted: st.Converted}
		if st.Status == journey.Active && !st.DueAt.IsZero() {
			due := st.DueAt.UTC()
			m.NextAction = &due
		}
		out = append(out, m)
	}
	// Earliest next action first (what happens soonest), then by entry.
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.NextAction == nil) != (b.NextAction == nil) {
			return a.NextAction != nil
		}
		if a.NextAction != nil && !a.NextAction.Equal(*b.NextAction) {
			return a.NextAction.Before(*b.NextAction)
		}
		if !a.EnteredAt.Equal(b.EnteredAt) {
			return a.EnteredAt.Before(b.EnteredAt)
		}
		return a.CustomerID < b.CustomerID
	})
	return out, nil
}

func printMembers(w io.Writer, members []member) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CUSTOMER\tSTEP\tSTATUS\tENTERED AT\tNEXT ACTION AT\tSENDS")
	for _, m := range members {
		status := m.Status
		if m.Holdout {
			status += " (holdout)"
		}
		if m.Converted {
			status += " (converted)"
		}
		next := "-"
		if m.NextAction != nil {
			next = m.NextAction.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", m.CustomerID, m.Step, status, m.EnteredAt.Format(time.RFC3339), next, m.Sends)
	}
	return tw.Flush()
}
