package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// runVerb runs one of the verbs of extraCommands under a parent carrying the root's
// persistent --output flag, so the test does not depend on root.go wiring.
func runVerb(t *testing.T, verb *cobra.Command, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var output string
	parent := &cobra.Command{Use: "retentionctl", SilenceUsage: true, SilenceErrors: true,
		PersistentPreRunE: func(*cobra.Command, []string) error { return validateOutput(output) }}
	parent.PersistentFlags().StringVarP(&output, "output", "o", "table", "output format")
	parent.AddCommand(verb)
	var out, errOut bytes.Buffer
	parent.SetOut(&out)
	parent.SetErr(&errOut)
	parent.SetArgs(args)
	err = parent.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// decodeOutput is the end of every `-o json` run: the command must have
// succeeded and printed JSON, which lands in v.
func decodeOutput(t *testing.T, out string, err error, v any) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("decode %q: %v", out, err)
	}
}

// postgresShop is the DSN of a fresh PostgreSQL schema (the test is skipped
// without PostgreSQL) holding the DataSource tables, with their indexes when
// withIndexes, each table filled from files["TABLE.csv"]: a header naming the
// columns, then a row a line (the columns left out keep their defaults).
func postgresShop(t *testing.T, withIndexes bool, files map[string]string) string {
	t.Helper()
	ctx := context.Background()
	url := testdb.Postgres(t)
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := datasource.CreateTables(ctx, db.DB, withIndexes); err != nil {
		t.Fatal(err)
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		rows := strings.Split(strings.TrimSpace(files[name]), "\n")
		table, cols := strings.TrimSuffix(name, ".csv"), rows[0]
		for _, row := range rows[1:] {
			vals := strings.Split(row, ",")
			ph := make([]string, len(vals))
			args := make([]any, len(vals))
			for i, v := range vals {
				ph[i], args[i] = fmt.Sprintf("$%d", i+1), v
			}
			if _, err := db.Exec(ctx, "INSERT INTO "+table+" ("+cols+") VALUES ("+strings.Join(ph, ",")+")", args...); err != nil {
				t.Fatal(err)
			}
		}
	}
	return url
}
