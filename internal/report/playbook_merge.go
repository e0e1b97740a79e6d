package report

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// A Playbook's campaign worker may run as several replicas, all publishing
// to one report ConfigMap. Each replica writes its own section,
// data["summary-<replica>.json"] (SectionKey), so no replica overwrites
// another's. Every section holds the whole playbook's figures (the worker
// reads them from the shared state store across all shards), so merging is
// picking the newest section, never adding them up; a replica that
// published late with older figures no longer makes the status flip back.

// sectionPrefix and sectionSuffix frame a replica's section key.
const (
	sectionPrefix = "summary-"
	sectionSuffix = ".json"
)

// SectionKey is the ConfigMap data key of replica's section. ConfigMap keys
// allow [-._a-zA-Z0-9]; anything else in the replica name becomes '-'.
func SectionKey(replica string) string {
	var b strings.Builder
	for _, r := range replica {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return sectionPrefix + b.String() + sectionSuffix
}

func isSection(key string) bool {
	return key != Key && strings.HasPrefix(key, sectionPrefix) && strings.HasSuffix(key, sectionSuffix)
}

// MergePlaybook is the one Playbook report in a report ConfigMap's data: the
// newest replica section (by ReportTime; equal times go to the larger
// Enrolled, then the later key, so every reader picks the same one), or
// data[Key] when no replica wrote a section (a worker from before sections,
// or a local run writing one file). ok is false when there is no report
// yet. The Playbook controller folds this into status instead of Decode.
func MergePlaybook(data map[string]string) (merged Playbook, ok bool, err error) {
	keys := make([]string, 0, len(data))
	for k := range data {
		if isSection(k) && data[k] != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		ok, err = Decode(data, &merged)
		return merged, ok, err
	}
	sort.Strings(keys)
	for i, k := range keys {
		var p Playbook
		if err := json.Unmarshal([]byte(data[k]), &p); err != nil {
			return Playbook{}, false, fmt.Errorf("report section %s: %w; the replica rewrites it on its next publish", k, err)
		}
		if i == 0 || newer(p, merged) {
			merged = p
		}
	}
	return merged, true, nil
}

// newer orders sections: later ReportTime, then more enrolments (figures
// only grow), then the later key (callers go in key order).
func newer(p, than Playbook) bool {
	if !p.ReportTime.Equal(than.ReportTime) {
		return p.ReportTime.After(than.ReportTime)
	}
	return p.Enrolled >= than.Enrolled
}
