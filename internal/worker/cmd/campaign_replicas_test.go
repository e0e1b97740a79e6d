package cmd

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/workerconfig"
)

// Three identical `worker campaign` processes (the Deployment's pods: same
// arguments, no shard index, HOSTNAME = pod name) with
// spec.workers.replicas = 3 share one PostgreSQL state store: the welcome
// message to a, b and d (c has no consent) is printed exactly once in total,
// and each process prints only customers of the one shard it leased.
func TestCampaignReplicasShareShards(t *testing.T) {
	db := store.OpenTestPostgres(t)
	state := pgStateURL(t, db)
	pb := welcomePlaybook()
	replicas := int32(3)
	pb.Spec.Workers = &v1alpha1.Workers{Replicas: &replicas}
	r := newLocalRun(t, pb)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	outs := make([]strings.Builder, 3)
	errs := make([]strings.Builder, 3)
	var wg sync.WaitGroup
	for i := range outs {
		cmd := r.command(ctx, "campaign", "--once", "--poll-interval=50ms")
		cmd.Env = append(append([]string(nil), r.env...), workerconfig.EnvStateStore+"="+state,
			"HOSTNAME=silver-welcome-campaign-"+string(rune('a'+i)),
			workerconfig.EnvReportFile+"="+filepath.Join(t.TempDir(), "report.json"))
		cmd.Stdout, cmd.Stderr = &outs[i], &errs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cmd.Wait(); err != nil {
				t.Errorf("replica %d: %v\n%s", i, err, errs[i].String())
			}
		}()
	}
	wg.Wait()
	to := regexp.MustCompile(`^\[console\] to=([a-z])\*\*\* `)
	total := map[string]int{}
	for i := range outs {
		shards := map[int]bool{}
		for _, line := range strings.Split(strings.TrimSpace(outs[i].String()), "\n") {
			if line == "" {
				continue
			}
			m := to.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("replica %d printed %q, want console messages", i, line)
			}
			total[m[1]]++
			shards[journey.Shard(m[1], 3)] = true
		}
		if len(shards) > 1 {
			t.Errorf("replica %d served customers of shards %v, want one shard", i, shards)
		}
	}
	if len(total) != 3 || total["a"] != 1 || total["b"] != 1 || total["d"] != 1 {
		t.Errorf("messages per customer %v, want a, b and d once each", total)
	}
}
