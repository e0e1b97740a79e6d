package devrun

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/internal/workload"
)

// materializeVolumes does the kubelet's volume work for one local pod under
// root (the pod's RETENTION_LOCAL_ROOT): ConfigMap and Secret volumes become
// files at their mount paths, emptyDirs become directories, and the state
// emptyDir becomes a link to one directory shared by every pod of the
// namespace.
//
// Why the state directory is shared: in a cluster each worker pod gets its own
// emptyDir, so without a spec.stateStore every worker keeps its own SQLite
// file, and the metric job's segment snapshots (which the campaign workers
// enrol from) and the loyalty ledger (which campaign steps award points into)
// would never meet. A real deployment points spec.stateStore at PostgreSQL;
// the local run gets the same "one state store" behaviour from one SQLite file
// (WorkDir/state/<namespace>/state.db) that every local pod opens.
//
// It is called before every start and then periodically, so edits to a
// ConfigMap or Secret reach running workers as they would through a kubelet.
func materializeVolumes(ctx context.Context, c client.Reader, o Options, namespace, root string, spec *corev1.PodSpec) error {
	if len(spec.Containers) == 0 {
		return fmt.Errorf("pod template has no containers")
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
	}
	for _, m := range spec.Containers[0].VolumeMounts {
		v, ok := volumes[m.Name]
		if !ok {
			return fmt.Errorf("volumeMount %q: no volume of that name", m.Name)
		}
		dir := filepath.Join(root, m.MountPath)
		var err error
		switch {
		case m.MountPath == workload.StateDir && v.EmptyDir != nil:
			err = linkSharedState(o.stateDir(namespace), dir)
		case v.EmptyDir != nil:
			err = os.MkdirAll(dir, 0o755)
		case v.ConfigMap != nil:
			var cm corev1.ConfigMap
			if err = c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: v.ConfigMap.Name}, &cm); err == nil {
				files := map[string][]byte{}
				for k, s := range cm.Data {
					files[k] = []byte(s)
				}
				for k, b := range cm.BinaryData {
					files[k] = b
				}
				err = writeVolume(dir, selectItems(files, v.ConfigMap.Items), 0o644)
			} else if apierrors.IsNotFound(err) && v.ConfigMap.Optional != nil && *v.ConfigMap.Optional {
				err = os.MkdirAll(dir, 0o755)
			}
		case v.Secret != nil:
			var s corev1.Secret
			if err = c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: v.Secret.SecretName}, &s); err == nil {
				err = writeVolume(dir, selectItems(s.Data, v.Secret.Items), 0o600)
			} else if apierrors.IsNotFound(err) && v.Secret.Optional != nil && *v.Secret.Optional {
				err = os.MkdirAll(dir, 0o755)
			}
		default:
			err = fmt.Errorf("only configMap, secret and emptyDir volumes run locally")
		}
		if err != nil {
			return fmt.Errorf("volume %q at %s: %w", m.Name, m.MountPath, err)
		}
	}
	return nil
}

// selectItems applies a volume's items list (key -> relative path), or keeps
// every key when there is none, as the kubelet does.
func selectItems(files map[string][]byte, items []corev1.KeyToPath) map[string][]byte {
	if len(items) == 0 {
		return files
	}
	out := map[string][]byte{}
	for _, it := range items {
		if b, ok := files[it.Key]; ok {
			out[it.Path] = b
		}
	}
	return out
}

// writeVolume makes dir hold exactly files: changed files are replaced
// atomically (write then rename, so a worker never reads half a file),
// unchanged ones are left alone, and keys that disappeared are removed.
func writeVolume(dir string, files map[string][]byte, mode os.FileMode) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, b := range files {
		if strings.Contains(name, "..") {
			return fmt.Errorf("key %q escapes the volume", name)
		}
		path := filepath.Join(dir, name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
		if err := os.WriteFile(tmp, b, mode); err != nil {
			return err
		}
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, keep := files[e.Name()]; !keep && !e.IsDir() {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// linkSharedState points the pod's state mount at the namespace's shared directory.
func linkSharedState(shared, mount string) error {
	if err := os.MkdirAll(shared, 0o755); err != nil {
		return err
	}
	if target, err := os.Readlink(mount); err == nil && target == shared {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(mount), 0o755); err != nil {
		return err
	}
	_ = os.RemoveAll(mount) // a directory left by an older run
	return os.Symlink(shared, mount)
}
