package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

func printForgotten(w io.Writer, out []forgotten) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STORE\tPSEUDONYM\tRUN\tROWS\tBY TABLE")
	for _, f := range out {
		tables := make([]string, 0, len(f.Rows))
		for tb, n := range f.Rows {
			if n > 0 {
				tables = append(tables, fmt.Sprintf("%s=%d", tb, n))
			}
		}
		sort.Strings(tables)
		by := strings.Join(tables, ",")
		if by == "" {
			by = "- (nothing left to erase)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", f.Store, f.Pseudonym[:16], f.Run, f.Touched(), by)
	}
	return tw.Flush()
}
