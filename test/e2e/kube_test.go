//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// env is what hack/e2e.sh hands the test: the cluster's kubeconfig, tools and
// addresses. The test drives the cluster from outside, as a user would.
type env struct {
	kubectl, helm, kubeconfig string
	root                      string // the project checkout
	nodeIP                    string // pods reach the machine's services here
	image                     string // the operator image, imported into the node
	stateDSN                  string // the state store URL, as pods reach it
	hostDSN                   string // the same database, as this machine reaches it
	receiverPort              string
}

func loadEnv(t *testing.T) env {
	get := func(k string) string {
		v := os.Getenv(k)
		if v == "" {
			t.Fatalf("%s is not set: run the end-to-end test through `make e2e` (hack/e2e.sh)", k)
		}
		return v
	}
	return env{
		kubectl: get("E2E_KUBECTL"), helm: get("E2E_HELM"), kubeconfig: get("KUBECONFIG"),
		root: get("E2E_ROOT"), nodeIP: get("E2E_NODE_IP"), image: get("E2E_IMAGE"),
		stateDSN: get("E2E_STATE_DSN"), hostDSN: get("E2E_HOST_DSN"), receiverPort: get("E2E_RECEIVER_PORT"),
	}
}

// run runs a command and returns its output; stdin may be empty.
func run(stdin string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

func (e env) k(args ...string) (string, error) { return run("", e.kubectl, args...) }

func (e env) mustK(t *testing.T, args ...string) string {
	t.Helper()
	out, err := e.k(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// logsOf is `kubectl logs` of the pods args select, read again while one of
// them is still starting (a failing Job's next attempt, say): kubectl
// refuses the whole call when a selected container has not started yet.
// Any other error fails the test at once.
func (e env) logsOf(t *testing.T, args ...string) string {
	t.Helper()
	var out string
	eventually(t, time.Minute, "kubectl "+strings.Join(args, " "), func() error {
		var err error
		out, err = e.k(args...)
		if err != nil && !strings.Contains(err.Error(), "is waiting to start") {
			t.Fatal(err)
		}
		return err
	})
	return out
}

func (e env) apply(t *testing.T, manifest string) {
	t.Helper()
	if _, err := run(manifest, e.kubectl, "apply", "--server-side", "--force-conflicts", "-f", "-"); err != nil {
		t.Fatal(err)
	}
}

// getJSON reads objects as generic JSON.
func (e env) getJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out := e.mustK(t, append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("kubectl %v: %v", args, err)
	}
}

// eventually retries f until it returns nil or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, f func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var err error
	for time.Since(start) < timeout {
		if err = f(); err == nil {
			return time.Since(start)
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("%s: not within %s: %v", what, timeout, err)
	return 0
}

// figure prints one named check's measured figure, so the run's log reads as
// the list of what was shown.
func figure(t *testing.T, check, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf("CHECK %-28s %s", check, fmt.Sprintf(format, args...))
	t.Log(msg)
	fmt.Println(msg)
}

type object struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name              string            `json:"name"`
		Namespace         string            `json:"namespace"`
		UID               string            `json:"uid"`
		Labels            map[string]string `json:"labels"`
		DeletionTimestamp *string           `json:"deletionTimestamp"`
	} `json:"metadata"`
	Status map[string]any `json:"status"`
}

type list struct {
	Items []object `json:"items"`
}

// condition returns a condition's status and reason from a generic status.
func condition(o object, typ string) (status, reason, message string) {
	conds, _ := o.Status["conditions"].([]any)
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			return fmt.Sprint(m["status"]), fmt.Sprint(m["reason"]), fmt.Sprint(m["message"])
		}
	}
	return "", "", ""
}
