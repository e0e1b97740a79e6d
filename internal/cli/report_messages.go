package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
)

// printMessageOutcomes prints how the playbook's messages add up:
//
//	messages 60 = sent 35 + failed 0 + pending 0 + suppressed 25 (holdout 20, consent 5)
//
// Suppressed counts messages, not customers (a holdout journey through two
// send steps withholds two), so it is shown beside messages, never beside
// enrolled.
func printMessageOutcomes(w io.Writer, st v1alpha1.PlaybookStatus) {
	reasons := make([]string, 0, len(st.Suppressed))
	var suppressed int64
	for r, n := range st.Suppressed {
		reasons = append(reasons, r)
		suppressed += n
	}
	sort.Strings(reasons)
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%s %d", r, st.Suppressed[r])
	}
	fmt.Fprintf(w, "messages %d = sent %d + failed %d + pending %d", st.Messages, st.Sent, st.Failed, st.Pending)
	if st.DryRunMessages > 0 {
		fmt.Fprintf(w, " + dry-run %d", st.DryRunMessages)
	}
	fmt.Fprintf(w, " + suppressed %d", suppressed)
	if len(parts) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	if st.Deferred > 0 || st.ConditionErrors > 0 {
		fmt.Fprintf(w, "deferred by quiet hours %d (each later counted above); condition errors %d\n",
			st.Deferred, st.ConditionErrors)
	}
}
