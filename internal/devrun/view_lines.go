package devrun

import (
	"fmt"
	"io"
	"sort"
	"time"
)

// changeLog is the live view without a terminal: one line per resource each
// time its READY or figures change, and one when the worker summary changes,
// printed as they come, so `make dev | tee dev.log` reads as a log.
type changeLog struct {
	seen    map[string]string // kind namespace/name -> ready and figures
	workers string
}

func newChangeLog() *changeLog { return &changeLog{seen: map[string]string{}} }

// print writes the lines for what changed since the last call.
func (c *changeLog) print(w io.Writer, now time.Time, rows []row, workers string) {
	sorted := append([]row(nil), rows...)
	sort.SliceStable(sorted, func(i, j int) bool { return kindOrder(sorted[i].Kind) < kindOrder(sorted[j].Kind) })
	stamp := now.Format("15:04:05")
	for _, r := range sorted {
		key := r.Kind + " " + r.Namespace + "/" + r.Name
		state := fmt.Sprintf("Ready=%s %s", r.Ready, r.Figures)
		if c.seen[key] == state {
			continue
		}
		c.seen[key] = state
		fmt.Fprintf(w, "%s %-14s %s/%s %s\n", stamp, r.Kind, r.Namespace, r.Name, state)
	}
	if workers != c.workers {
		c.workers = workers
		fmt.Fprintf(w, "%s %s\n", stamp, workers)
	}
}
