package cmd

import (
	"testing"

	"github.com/retention-dev/retention-operator/internal/report"
)

// Each campaign replica publishes its own report section: named by its
// pinned shard, else by its pod name.
func TestReportReplica(t *testing.T) {
	t.Setenv("HOSTNAME", "welcome-campaign-5d8c7-x2x9q")
	if got := report.SectionKey(reportReplica("1/3")); got != "summary-shard-1-of-3.json" {
		t.Errorf("pinned shard section %q", got)
	}
	if got := report.SectionKey(reportReplica("")); got != "summary-welcome-campaign-5d8c7-x2x9q.json" {
		t.Errorf("leased replica section %q", got)
	}
}
