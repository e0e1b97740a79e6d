package devrun

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/retention-dev/retention-operator/internal/workload"
)

// workerPodSpec has the volumes the operator's pod templates have.
func workerPodSpec() *corev1.PodSpec {
	return &corev1.PodSpec{
		Containers: []corev1.Container{{Name: "worker", VolumeMounts: []corev1.VolumeMount{
			{Name: "spec", MountPath: workload.SpecDir},
			{Name: "state", MountPath: workload.StateDir},
			{Name: "tmp", MountPath: "/tmp"},
			{Name: "secret-a", MountPath: workload.SecretsDir + "/api-token"},
			{Name: "data", MountPath: workload.DataDir},
		}}},
		Volumes: []corev1.Volume{
			{Name: "spec", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: "pb-campaign"}}}},
			{Name: "state", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			{Name: "secret-a", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "token"}}},
			{Name: "data", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: "shop-data"},
				Items:                []corev1.KeyToPath{{Key: "customers.csv", Path: "customers.csv"}}}}},
		},
	}
}

func TestMaterializeVolumes(t *testing.T) {
	ns := createNamespace(t, "volumes-test")
	spec := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "pb-campaign", Namespace: ns},
		Data: map[string]string{"spec.json": `{"v":1}`, "extra.txt": "x"}}
	must(t, testC.Create(ctx, spec))
	must(t, testC.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "token", Namespace: ns},
		Data: map[string][]byte{"token": []byte("s3cret")}}))
	must(t, testC.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "shop-data", Namespace: ns},
		Data: map[string]string{"customers.csv": "id\n", "orders.csv": "not selected by items"}}))

	o := testOpts
	o.WorkDir = t.TempDir()
	rootA := filepath.Join(o.podsDir(), "a-0")
	rootB := filepath.Join(o.podsDir(), "b-0")
	must(t, materializeVolumes(ctx, testC, o, ns, rootA, workerPodSpec()))
	must(t, materializeVolumes(ctx, testC, o, ns, rootB, workerPodSpec()))

	if got := listFiles(t, rootA); strings.Join(got, " ") !=
		"etc/retention/extra.txt etc/retention/spec.json var/lib/retention/data/customers.csv var/run/secrets/retention/api-token/token" {
		t.Fatalf("files = %v", got)
	}
	expectFile(t, filepath.Join(rootA, workload.SpecFile), `{"v":1}`)
	expectFile(t, filepath.Join(rootA, workload.SecretsDir, "api-token", "token"), "s3cret")
	if st, err := os.Stat(filepath.Join(rootA, "tmp")); err != nil || !st.IsDir() {
		t.Fatalf("tmp emptyDir: %v", err)
	}
	// The state emptyDir is one directory for the namespace: a file written
	// through one pod is seen through the other.
	must(t, os.WriteFile(filepath.Join(rootA, workload.StateDir, "state.db"), []byte("db"), 0o644))
	expectFile(t, filepath.Join(rootB, workload.StateDir, "state.db"), "db")
	expectFile(t, filepath.Join(o.stateDir(ns), "state.db"), "db")

	// A ConfigMap edit reaches the files on the next refresh; a removed key goes.
	spec.Data = map[string]string{"spec.json": `{"v":2}`}
	must(t, testC.Update(ctx, spec))
	must(t, materializeVolumes(ctx, testC, o, ns, rootA, workerPodSpec()))
	expectFile(t, filepath.Join(rootA, workload.SpecFile), `{"v":2}`)
	if _, err := os.Stat(filepath.Join(rootA, workload.SpecDir, "extra.txt")); !os.IsNotExist(err) {
		t.Fatalf("extra.txt should be gone: %v", err)
	}
}

func TestMaterializeVolumesErrors(t *testing.T) {
	ns := createNamespace(t, "volumes-errors")
	pod := func(mounts []corev1.VolumeMount, volumes ...corev1.Volume) *corev1.PodSpec {
		return &corev1.PodSpec{Containers: []corev1.Container{{Name: "w", VolumeMounts: mounts}}, Volumes: volumes}
	}
	emptyDir := corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
	tests := []struct {
		name string
		spec *corev1.PodSpec
		want string
	}{
		{"missing ConfigMap", workerPodSpec(), `volume "spec" at /etc/retention: configmaps "pb-campaign" not found`},
		{"hostPath",
			pod([]corev1.VolumeMount{{Name: "host", MountPath: "/data"}},
				corev1.Volume{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}),
			`volume "host" at /data: only configMap, secret and emptyDir volumes run locally`},
		{"mount without volume",
			pod([]corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}, {Name: "ghost", MountPath: "/x"}},
				corev1.Volume{Name: "tmp", VolumeSource: emptyDir}),
			`volumeMount "ghost": no volume of that name`},
		{"no containers", &corev1.PodSpec{}, "pod template has no containers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOpts
			o.WorkDir = t.TempDir()
			err := materializeVolumes(ctx, testC, o, ns, filepath.Join(o.podsDir(), "p"), tt.spec)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func listFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	must(t, err)
	sort.Strings(out)
	return out
}

func expectFile(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Fatalf("%s = %q, want %q", path, b, want)
	}
}

func statModTime(dir, name string) (time.Time, error) {
	st, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		return time.Time{}, err
	}
	return st.ModTime(), nil
}
