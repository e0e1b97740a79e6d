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

// Path maps a container path to where it is for this process: itself in a
// pod, or under $RETENTION_LOCAL_ROOT in a local run.
func Path(containerPath string) string {
	if root := os.Getenv(LocalRootEnv); root != "" {
		return filepath.Join(root, containerPath)
	}
	return containerPath
}
