package cmd

import (
	"bufio"
	"context"
	"io"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/report"
)

// The published report counts active journeys per step: after the welcome
// message all four customers (c without consent too) wait at "pause".
func TestCampaignReportCountsSteps(t *testing.T) {
	pb := welcomePlaybook()
	pb.Spec.Steps = append(pb.Spec.Steps, v1alpha1.Step{Name: "pause", Wait: &v1alpha1.WaitStep{Duration: "24h"}})
	r := newLocalRun(t, pb)
	r.runMetricJob(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd, stdout, stderr := r.startCampaign(t, ctx, "50ms")
	awaitMessages(t, bufio.NewScanner(stdout), 3, stderr)
	go io.Copy(io.Discard, stdout) //nolint:errcheck
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("campaign after SIGTERM: %v\n%s", err, stderr.String())
	}
	var rep report.Playbook
	r.readReport(t, &rep)
	if want := map[string]int64{"pause": 4}; !reflect.DeepEqual(rep.Steps, want) || rep.Active != 4 {
		t.Errorf("report steps %v active %d, want %v and 4 active", rep.Steps, rep.Active, want)
	}
}
