package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// writes counts the manager's write requests from the audit log, by verb
// and by resource ("configmaps", "segments/status", ...). Leases (leader
// election renewing its lock every few seconds) are counted apart: they are
// the cost of electing a leader, not of reconciling objects.
type writes struct {
	byVerb, byResource map[string]int
	failed, leases     int
}

func (w writes) total() int {
	n := 0
	for _, v := range w.byVerb {
		n += v
	}
	return n
}

func countWrites(path string) (writes, error) {
	w := writes{byVerb: map[string]int{}, byResource: map[string]int{}}
	f, err := os.Open(path)
	if err != nil {
		return w, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			return w, nil // a partly written last line is read next time
		}
		if err != nil {
			return w, err
		}
		var e struct {
			Verb      string                    `json:"verb"`
			User      struct{ Username string } `json:"user"`
			ObjectRef struct {
				Resource, Subresource string
			} `json:"objectRef"`
			ResponseStatus struct{ Code int } `json:"responseStatus"`
		}
		if err := json.Unmarshal(line, &e); err != nil {
			return w, fmt.Errorf("audit log: %w", err)
		}
		if e.User.Username != managerUser {
			continue
		}
		if e.ObjectRef.Resource == "leases" {
			w.leases++
			continue
		}
		resource := e.ObjectRef.Resource
		if e.ObjectRef.Subresource != "" {
			resource += "/" + e.ObjectRef.Subresource
		}
		w.byVerb[e.Verb]++
		w.byResource[resource]++
		if e.ResponseStatus.Code >= 400 {
			w.failed++
		}
	}
}

func (w writes) minus(o writes) writes {
	d := writes{byVerb: map[string]int{}, byResource: map[string]int{}, failed: w.failed - o.failed, leases: w.leases - o.leases}
	for k, v := range w.byVerb {
		if v -= o.byVerb[k]; v != 0 {
			d.byVerb[k] = v
		}
	}
	for k, v := range w.byResource {
		if v -= o.byResource[k]; v != 0 {
			d.byResource[k] = v
		}
	}
	return d
}

// print writes the counts; with objects > 0 also the writes per object.
func (w writes) print(out io.Writer, title string, objects int) {
	fmt.Fprintf(out, "== %s: %d", title, w.total())
	if objects > 0 {
		fmt.Fprintf(out, " (%.2f per object)", float64(w.total())/float64(objects))
	}
	fmt.Fprintf(out, ", %d refused; lease renewals apart: %d\n", w.failed, w.leases)
	fmt.Fprintf(out, "   by verb:     %s\n", formatCounts(w.byVerb))
	fmt.Fprintf(out, "   by resource: %s\n", formatCounts(w.byResource))
}

func formatCounts(m map[string]int) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}
