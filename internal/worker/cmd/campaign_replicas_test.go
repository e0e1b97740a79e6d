package cmd

import (
	"bufio"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/journey"
)

// Three identical `worker campaign` processes (the Deployment's pods: same
// arguments, no shard index, HOSTNAME = pod name) with
// spec.workers.replicas = 3 share one PostgreSQL state store: the welcome
// message to a, b and d (c has no consent) is printed exactly once in total,
// and each process prints only customers of the one shard it leased.
func TestCampaignReplicasShareShards(t *testing.T) {
	state := newPostgresState(t)
	pb := welcomePlaybook()
	replicas := int32(3)
	pb.Spec.Workers = &v1alpha1.Workers{Replicas: &replicas}
	r := newLocalRun(t, pb).sharing(state)
	r.runMetricJob(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	to := regexp.MustCompile(`^\[console\] to=([a-z])\*\*\* `)
	var (
		mu    sync.Mutex
		byRep = make([][]string, 3) // customers each replica printed
		total int
		wg    sync.WaitGroup
	)
	errs := make([]strings.Builder, 3)
	var procs []func() error
	for i := range byRep {
		cmd := r.command(ctx, "campaign", "--poll-interval=50ms")
		cmd.Env = append(append([]string(nil), r.env...), contract.EnvStateStore+"="+state,
			"HOSTNAME=welcome-campaign-"+string(rune('a'+i)),
			contract.EnvReportFile+"="+filepath.Join(t.TempDir(), "report.json"))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = &errs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				mu.Lock()
				if m := to.FindStringSubmatch(sc.Text()); m != nil {
					byRep[i] = append(byRep[i], m[1])
				} else {
					byRep[i] = append(byRep[i], "unexpected: "+sc.Text())
				}
				total++
				mu.Unlock()
			}
		}()
		procs = append(procs, func() error {
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				return err
			}
			return nil
		}, cmd.Wait)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := total
		mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // a duplicate would show up by now
	for j := 0; j < len(procs); j += 2 {
		if err := procs[j](); err != nil {
			t.Fatal(err)
		}
	}
	for j := 1; j < len(procs); j += 2 {
		if err := procs[j](); err != nil {
			t.Errorf("replica %d after SIGTERM: %v\n%s", j/2, err, errs[j/2].String())
		}
	}
	wg.Wait()
	count := map[string]int{}
	for i, ids := range byRep {
		shards := map[int]bool{}
		for _, id := range ids {
			count[id]++
			shards[journey.Shard(id, 3)] = true
		}
		if len(shards) > 1 {
			t.Errorf("replica %d printed %v (shards %v), want customers of one shard\n%s", i, ids, shards, errs[i].String())
		}
	}
	if len(count) != 3 || count["a"] != 1 || count["b"] != 1 || count["d"] != 1 {
		t.Errorf("messages per customer %v, want a, b and d once each", count)
	}
}
