package campaign

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// The crash test re-executes this test binary as the worker: TestMain sees
// the child variables and runs crashChild instead of the tests.
const (
	childEnv      = "CAMPAIGN_CRASH_CHILD"
	childStoreEnv = "CAMPAIGN_CRASH_STORE"
	childURLEnv   = "CAMPAIGN_CRASH_URL"
	crashPlaybook = "shop/crash"
	crashN        = 1000
	// crashConcurrency bounds the child's sends in flight, and so what a
	// kill may make it re-send.
	crashConcurrency = 4
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(crashChild())
	}
	os.Exit(m.Run())
}

func crashConfig() journey.Config {
	send := func(name string) journey.Step {
		return journey.Step{Name: name, Send: &journey.SendStep{ChannelRef: "hook", Template: journey.Template{Subject: name, Body: "{{.id}}"}}}
	}
	return journey.Config{Name: crashPlaybook, Namespace: "shop", Trigger: journey.Trigger{SegmentEntry: true}, HoldoutPercent: 10,
		Steps: []journey.Step{send("a"), {Name: "w", Wait: &journey.WaitStep{Duration: 30 * time.Millisecond}}, send("b"), send("c")}}
}

func crashCustomers() []customer.Features {
	out := make([]customer.Features, crashN)
	for i := range out {
		out[i] = customer.Features{ID: fmt.Sprintf("cust-%04d", i), Attributes: map[string]string{journey.ConsentWebhookAttribute: "true"}}
	}
	return out
}

// crashChild is the worker process the test kills.
func crashChild() int {
	s, err := newWebhookSender(os.Getenv(childURLEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	err = Run(context.Background(), Options{Playbook: crashConfig(), StoreURL: os.Getenv(childStoreEnv),
		Source: &memSource{feats: crashCustomers()}, Channels: hookChannels(s),
		ChannelKinds: hookKinds(),
		PollInterval: 5 * time.Millisecond, BatchSize: 25, Concurrency: crashConcurrency, ExitWhenIdle: true, Logger: quiet})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// Kill the worker with SIGKILL at 25 seeded random moments, restart it each
// time, then let it finish: the receiver must have every intended message
// (3 steps x every non-holdout customer) by idempotency key, none missing,
// none extra. Resends of the same key after a kill are the designed
// at-least-once transport under an exactly-once key; they are counted and
// reported, never a second key for the same message.
func TestCrashExactlyOnceByKey(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test re-executes the worker 26 times")
	}
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			url := "sqlite:" + filepath.Join(t.TempDir(), "state.db")
			if dialect == "postgres" {
				url = testdb.Postgres(t)
			}
			recv := newReceiver(t, 2*time.Millisecond)
			rng := rand.New(rand.NewPCG(2026, 11))
			start := func() *exec.Cmd {
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), childEnv+"=1", childStoreEnv+"="+url, childURLEnv+"="+recv.srv.URL)
				cmd.Stderr = os.Stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				return cmd
			}
			killedMidRun := 0
			// resentPerRun[i] counts the keys run i sent that an earlier run
			// had already delivered: what the kill before run i made it re-send.
			var resentPerRun []int
			before := recv.keys()
			measure := func() {
				after := recv.keys()
				resentPerRun = append(resentPerRun, resentKeys(before, after))
				before = after
			}
			for kill := 0; kill < 25; kill++ {
				cmd := start()
				time.Sleep(time.Duration(20+rng.IntN(180)) * time.Millisecond)
				_ = cmd.Process.Signal(syscall.SIGKILL)
				err := cmd.Wait()
				var ee *exec.ExitError
				if errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled() {
					killedMidRun++
				}
				measure()
			}
			cmd := start()
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("final run: %v", err)
				}
			case <-time.After(2 * time.Minute):
				cmd.Process.Kill() //nolint:errcheck
				t.Fatal("final run did not finish")
			}
			measure()
			if killedMidRun < 20 {
				t.Fatalf("only %d of 25 kills hit a running worker; the test did not exercise crashes", killedMidRun)
			}
			want := map[string]bool{}
			for _, f := range crashCustomers() {
				if journey.InHoldout(crashPlaybook, f.ID, 10) {
					continue
				}
				for _, step := range []string{"a", "b", "c"} {
					want[journey.IdempotencyKey(crashPlaybook, f.ID, 1, step)] = true
				}
			}
			got := recv.keys()
			missing, extra, resends := 0, 0, 0
			for k := range want {
				if got[k] == 0 {
					missing++
				}
			}
			for k, n := range got {
				if !want[k] {
					extra++
				}
				resends += n - 1
			}
			t.Logf("%s: %d kills mid-run, %d intended messages, %d distinct keys received, missing %d, duplicates (extra keys) %d, same-key resends %d",
				dialect, killedMidRun, len(want), len(got), missing, extra, resends)
			if missing != 0 || extra != 0 || len(got) != len(want) {
				t.Fatalf("exactly-once by key violated: missing %d, extra %d", missing, extra)
			}
			// Each message is marked sent as its send returns, so a kill can
			// only leave the sends in flight unrecorded: at most Concurrency
			// a kill. A later run sends those keys again, but not always the
			// next one: a run killed before it reached an earlier kill's keys
			// leaves them to the run after it, beside its own. So the bound
			// holds for every prefix of runs: by run i (after i kills), at
			// most Concurrency x i re-sends.
			sum := 0
			for i, n := range resentPerRun {
				sum += n
				if sum > crashConcurrency*i {
					t.Fatalf("%s: runs 0..%d re-sent %d keys after %d kills, more than the %d sends a kill can leave in flight: %v",
						dialect, i, sum, i, crashConcurrency, resentPerRun)
				}
			}
			t.Logf("%s: re-sent keys per run after a kill %v (%d in all after %d kills, concurrency %d)", dialect, resentPerRun, sum,
				len(resentPerRun)-1, crashConcurrency)
		})
	}
}

// resentKeys counts the keys received again between two snapshots of the
// receiver's per-key counts (keys new in after are first sends).
func resentKeys(before, after map[string]int) int {
	n := 0
	for k, c := range after {
		if before[k] > 0 && c > before[k] {
			n++
		}
	}
	return n
}
