package docs

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// repoRoot is where the docs' commands run from, as a reader runs them.
const repoRoot = "../.."

// commandTimeout bounds one documented command. The slowest, the docs' own
// go build, links two binaries: about 15 s on a warm cache, more on a loaded
// machine; the whole test takes about 35 s.
const commandTimeout = 120 * time.Second

// markdownFiles are the pages whose commands must stay true.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{filepath.Join(repoRoot, "README.md")}, files...)
}

func allBlocks(t *testing.T) []Block {
	t.Helper()
	var blocks []Block
	for _, f := range markdownFiles(t) {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(repoRoot, f)
		bs, err := ParseBlocks(rel, string(raw))
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, bs...)
	}
	if len(blocks) == 0 {
		t.Fatal("no sh or console blocks found in README.md and docs/*.md")
	}
	return blocks
}

// TestDocCommands runs every sh and console block of README.md and
// docs/*.md that is not annotated as needing a cluster or `make dev`, from
// the repository root with retentionctl built from the tree on the PATH. Each
// command must exit 0 and, where the docs show output, print output of the
// same shape. Annotated blocks are reported as skipped, with the reason.
func TestDocCommands(t *testing.T) {
	blocks := allBlocks(t)
	env := commandEnv(t)
	var skipped []string
	ran := 0
	for _, b := range blocks {
		if b.Mark != "" {
			why := Marks[b.Mark]
			if b.Reason != "" {
				why += ": " + b.Reason
			}
			skipped = append(skipped, b.File+":"+itoa(b.Line)+" ("+why+")")
			continue
		}
		for _, c := range b.Commands() {
			ran++
			runDocumented(t, b, c, env)
		}
	}
	t.Logf("ran %d commands; %d blocks not run here:\n  %s", ran, len(skipped), strings.Join(skipped, "\n  "))
	if ran == 0 {
		t.Error("no documented command ran")
	}
}

func runDocumented(t *testing.T, b Block, c Command, env []string) {
	t.Helper()
	where := b.File + ":" + itoa(c.Line)
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-e", "-c", c.Script)
	cmd.Dir = repoRoot
	cmd.Env = env
	// Its own process group, killed whole on timeout: a block that starts
	// servers (say an unannotated `make dev`) must not outlive the test or
	// keep its output pipe open.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput() // stderr too: the docs show what a terminal shows
	exit := -1
	if cmd.ProcessState != nil {
		exit = cmd.ProcessState.ExitCode()
	}
	if exit != c.Exit {
		t.Errorf("%s: %s\nexited %d after %s (%v); the docs show %d\n%s\n(fix the docs or the command; if it cannot run offline, "+
			"annotate the block with <!-- doc-test: needs-cluster -->, needs-dev or skip: reason)",
			where, c.Script, exit, time.Since(start).Round(time.Millisecond), err, c.Exit, out)
		return
	}
	if c.Output == nil {
		return
	}
	mismatch := ShapeMismatch
	if b.Exact {
		mismatch = ExactMismatch
	}
	if miss := mismatch(c.Output, strings.Split(string(out), "\n")); miss != "" {
		t.Errorf("%s: %s\nthe docs show a line like\n  %s\nwhich the output lacks:\n%s", where, c.Script, miss, out)
	}
}

// commandEnv is the environment of the documented commands: a temporary
// HOME (so "~/bin" writes nowhere real) holding retentionctl built from the
// tree, first on the PATH, with the Go caches of this process so builds stay warm.
func commandEnv(t *testing.T) []string {
	t.Helper()
	home := t.TempDir()
	bin := filepath.Join(home, "bin")
	goEnv := map[string]string{}
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH", "GOTOOLCHAIN", "GOFLAGS").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	vals := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	for i, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOTOOLCHAIN", "GOFLAGS"} {
		if i < len(vals) {
			goEnv[k] = vals[i]
		}
	}
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "retentionctl"), "./cmd/retentionctl")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/retentionctl: %v\n%s", err, out)
	}
	env := []string{"HOME=" + home, "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"NO_COLOR=1", "COLUMNS=100", "LANG=C.UTF-8",
		// No cluster: a command that reaches for one fails instead of
		// touching whatever ~/.kube/config points at.
		"KUBECONFIG=" + filepath.Join(home, "no-kubeconfig")}
	for k, v := range goEnv {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func itoa(n int) string { return strconv.Itoa(n) }

// makeTarget is a `make target` the docs tell the reader to run.
var makeTarget = regexp.MustCompile("`make ([a-z0-9-]+)")

// TestMakeHelpListsDocumentedTargets: every make target README.md and
// docs/*.md mention is listed, with a description, by `make help`.
func TestMakeHelpListsDocumentedTargets(t *testing.T) {
	cmd := exec.Command("make", "--no-print-directory", "help")
	cmd.Dir = repoRoot
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make help: %v\n%s", err, out)
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(stripANSI.ReplaceAllString(line, "")); len(f) >= 2 {
			listed[f[0]] = true
		}
	}
	want := map[string]bool{"helm": true} // test/helm and docs/helm.md build bin/helm with it
	for _, f := range markdownFiles(t) {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range makeTarget.FindAllStringSubmatch(string(raw), -1) {
			want[m[1]] = true
		}
	}
	for target := range want {
		if !listed[target] {
			t.Errorf("make help does not list %q; add a \"## description\" to its Makefile rule", target)
		}
	}
}

var stripANSI = regexp.MustCompile(`\x1b\[[0-9;]*m`)
