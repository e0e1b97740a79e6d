package workload

import (
	"os"
	"path/filepath"
)

// LocalRootEnv, when set, roots every container path a worker uses
// (SpecDir, StateDir, DataDir, SecretsDir) under a local directory. The local
// run (`retentionctl dev`) starts workers as processes with exactly their pod
// template's command, arguments and environment, plus this variable, because
// no kubelet is there to mount volumes.
const LocalRootEnv = "RETENTION_LOCAL_ROOT"

// Paths says where a worker's spec, secrets, data and state are for this
// process: at the container paths the controller mounts (SpecFile,
// SecretsDir, DataDir, StateDir) in a pod, or under Root in a local run.
// The worker builds it once (PathsFromEnv) and passes it down, so nothing
// below the command line reads the environment for it.
type Paths struct {
	// Root is the local run's directory; "" in a pod.
	Root string
}

// PathsFromEnv is the one place LocalRootEnv is read.
func PathsFromEnv() Paths { return Paths{Root: os.Getenv(LocalRootEnv)} }

// Local reports a local run: a process on the user's own machine, where no
// tenant boundary exists (the data path is not confined to the data mount,
// loopback webhooks are the user's own).
func (p Paths) Local() bool { return p.Root != "" }

// Of maps a container path to where it is for this process.
func (p Paths) Of(containerPath string) string {
	if p.Root == "" {
		return containerPath
	}
	return filepath.Join(p.Root, containerPath)
}

// Secrets is where the controller mounted a Secret (SecretsDir/<parts...>).
func (p Paths) Secrets(parts ...string) string {
	return p.Of(filepath.Join(append([]string{SecretsDir}, parts...)...))
}

// Data is the data mount (a DataSource's file.configMapRef).
func (p Paths) Data() string { return p.Of(DataDir) }
