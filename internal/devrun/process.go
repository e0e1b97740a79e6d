package devrun

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/retention-dev/retention-operator/internal/workload"
)

// terminationGrace is how long a worker has between SIGTERM and SIGKILL.
const terminationGrace = 5 * time.Second

// localPod is one pod run as a local process: the container's command (with
// /worker replaced by the built worker binary), exactly its args and env plus
// RETENTION_LOCAL_ROOT (so container paths resolve under the pod directory),
// KUBECONFIG (its ServiceAccount's identity) and TMPDIR (its /tmp emptyDir).
type localPod struct {
	k         *kubelet
	name      string // pod name: directory and log file name
	namespace string
	owner     string // the custom resource, prefixed to console lines
	spec      corev1.PodSpec

	running atomic.Bool
	ready   atomic.Bool
	// restarts counts starts after the first.
	restarts atomic.Int32
}

func (p *localPod) root() string { return filepath.Join(p.k.o.podsDir(), p.name) }

// prepare materializes volumes and builds the command. It is redone before
// every start so restarts see current ConfigMaps and Secrets.
func (p *localPod) prepare(ctx context.Context) (*exec.Cmd, error) {
	if err := materializeVolumes(ctx, p.k.c, p.k.o, p.namespace, p.root(), &p.spec); err != nil {
		return nil, err
	}
	env, err := podEnv(ctx, p.k.c, p.namespace, p.name, &p.spec)
	if err != nil {
		return nil, err
	}
	kubeconfig, err := p.k.cp.serviceAccountKubeconfig(p.namespace, p.spec.ServiceAccountName)
	if err != nil {
		return nil, err
	}
	vals := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vals[k] = v
	}
	ctr := p.spec.Containers[0]
	argv := append(append([]string{}, ctr.Command...), ctr.Args...)
	if len(argv) == 0 {
		return nil, fmt.Errorf("container %q has no command (the local run cannot use an image's entrypoint)", ctr.Name)
	}
	for i := range argv {
		argv[i] = expand(argv[i], vals)
	}
	if argv[0] == workload.WorkerBinary {
		argv[0] = p.k.o.WorkerBinary
	}
	tmp := filepath.Join(p.root(), "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = p.root()
	cmd.Env = append(env,
		workload.LocalRootEnv+"="+p.root(),
		"KUBECONFIG="+kubeconfig,
		"TMPDIR="+tmp,
	)
	setProcessGroup(cmd)
	return cmd, nil
}

// runOnce starts the process and waits for it. Cancelling ctx sends SIGTERM,
// then SIGKILL after terminationGrace. Stdout goes to the log and console
// lines also to the console sink; stderr goes to the log.
func (p *localPod) runOnce(ctx context.Context) error {
	logFile, err := os.OpenFile(filepath.Join(p.k.o.logsDir(), p.name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd, err := p.prepare(ctx)
	if err != nil {
		// What a kubelet would show as CreateContainerConfigError.
		fmt.Fprintf(logFile, "=== %s cannot start: %v\n", time.Now().UTC().Format(time.RFC3339), err)
		return err
	}
	fmt.Fprintf(logFile, "=== %s start %s\n", time.Now().UTC().Format(time.RFC3339), strings.Join(cmd.Args, " "))
	logMu := &sync.Mutex{}
	log := &lockedWriter{mu: logMu, w: logFile}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p.k.started(p, cmd)
	p.running.Store(true)
	probeDone := make(chan struct{}, 2)
	probeCtx, stopProbe := context.WithCancel(ctx)
	go func() { defer func() { probeDone <- struct{}{} }(); p.probe(probeCtx) }()
	go func() { defer func() { probeDone <- struct{}{} }(); p.refreshVolumes(probeCtx, log) }()
	copied := make(chan struct{})
	go func() { defer close(copied); p.copyStdout(stdout, log) }()

	waited := make(chan error, 1)
	go func() {
		<-copied // read everything before Wait closes the pipe
		waited <- cmd.Wait()
	}()
	var werr error
	select {
	case werr = <-waited:
	case <-ctx.Done():
		_ = signalGroup(cmd, syscall.SIGTERM)
		select {
		case werr = <-waited:
		case <-time.After(terminationGrace):
			_ = signalGroup(cmd, syscall.SIGKILL)
			werr = <-waited
		case <-p.k.o.Force:
			_ = signalGroup(cmd, syscall.SIGKILL)
			werr = <-waited
		}
	}
	stopProbe()
	<-probeDone
	<-probeDone
	p.running.Store(false)
	p.ready.Store(false)
	fmt.Fprintf(log, "=== %s exit: %v\n", time.Now().UTC().Format(time.RFC3339), exitText(werr))
	return werr
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// copyStdout writes every line to the log; console channel lines also go to
// the user's terminal, prefixed with the owning resource's name.
func (p *localPod) copyStdout(r io.Reader, log io.Writer) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(log, line)
		if i := strings.Index(line, consolePrefix); i >= 0 {
			p.k.console.add(p.owner, line[i:])
		}
	}
	_, _ = io.Copy(log, r) // a line longer than the buffer: keep the rest in the log
}

// volumeRefresh is how often a running pod's ConfigMap and Secret volumes
// are brought up to date (the kubelet's sync period is a minute; locally
// quicker is nicer).
const volumeRefresh = 2 * time.Second

// refreshVolumes keeps ConfigMap and Secret files current while the process
// runs, as the kubelet does for mounted volumes (a rotated Secret reaches a
// running worker without a restart). A failure is logged and retried.
func (p *localPod) refreshVolumes(ctx context.Context, log io.Writer) {
	tick := time.NewTicker(volumeRefresh)
	defer tick.Stop()
	last := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		msg := ""
		if err := materializeVolumes(ctx, p.k.c, p.k.o, p.namespace, p.root(), &p.spec); err != nil && ctx.Err() == nil {
			msg = err.Error()
		}
		if msg != last && msg != "" {
			fmt.Fprintf(log, "=== %s volume refresh: %s\n", time.Now().UTC().Format(time.RFC3339), msg)
		}
		last = msg
	}
}

// probe marks the pod ready like the kubelet: at once when the container has
// no readiness probe, else while the HTTP probe answers 2xx/3xx.
func (p *localPod) probe(ctx context.Context) {
	ctr := p.spec.Containers[0]
	rp := ctr.ReadinessProbe
	if rp == nil || rp.HTTPGet == nil {
		p.ready.Store(true)
		<-ctx.Done()
		return
	}
	port := resolvePort(rp.HTTPGet.Port, ctr.Ports)
	url := fmt.Sprintf("http://127.0.0.1:%d%s", port, rp.HTTPGet.Path)
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		ok := err == nil && resp.StatusCode >= 200 && resp.StatusCode < 400
		if resp != nil {
			resp.Body.Close()
		}
		p.ready.Store(ok)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// resolvePort turns a named probe port into the container port number.
func resolvePort(port intstr.IntOrString, ports []corev1.ContainerPort) int32 {
	if port.Type == intstr.Int {
		return port.IntVal
	}
	for _, p := range ports {
		if p.Name == port.StrVal {
			return p.ContainerPort
		}
	}
	return 0
}

// lockedWriter serializes the stdout copier and stderr onto one log file.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// backoff is the kubelet's crash-loop delay: 1s doubling to 60s, reset after
// a process ran for 30s.
type backoff struct{ next time.Duration }

func (b *backoff) delay(ranFor time.Duration) time.Duration {
	if ranFor >= 30*time.Second || b.next == 0 {
		b.next = time.Second
	} else if b.next < time.Minute {
		b.next *= 2
		if b.next > time.Minute {
			b.next = time.Minute
		}
	}
	return b.next
}
