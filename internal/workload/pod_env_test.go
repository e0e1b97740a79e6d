package workload

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/retention-dev/retention-operator/internal/contract"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Every kind of env value reaches the pod template as written: none is
// dropped or turned into an empty literal.
func TestEnvVarKeepsEveryValueFromKind(t *testing.T) {
	yes := true
	for _, e := range []corev1.EnvVar{
		{Name: "LITERAL", Value: "x"},
		{Name: "SECRET", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "k", Optional: &yes}}},
		{Name: "FIELD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
			APIVersion: "v1", FieldPath: "metadata.labels['batch.kubernetes.io/controller-uid']"}}},
		{Name: "CONFIG", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "c"}, Key: "k"}}},
		{Name: "MEMORY", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{
			ContainerName: "worker", Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}}},
	} {
		want, _ := json.Marshal(e)
		got, err := json.Marshal(envVar(e))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("env %s: template has %s, want %s", e.Name, got, want)
		}
	}
}

// Volume names stay the ones pods have (secret-a ...) and are valid and
// distinct past 26 mounts.
func TestSecretVolumeNamesPast26(t *testing.T) {
	if secretVolumeName(0) != "secret-a" || secretVolumeName(25) != "secret-z" {
		t.Fatalf("the first names changed: %s, %s", secretVolumeName(0), secretVolumeName(25))
	}
	seen := map[string]bool{}
	for i := range 100 {
		name := secretVolumeName(i)
		if errs := validation.IsDNS1123Label(name); len(errs) > 0 || seen[name] {
			t.Fatalf("mount %d: name %q invalid or repeated: %v", i, name, errs)
		}
		seen[name] = true
	}
}

// Every worker is told its own container's memory limit, in bytes, so its
// collector can keep the heap under it (memtune.FollowLimit).
func TestPodTemplateHandsDownTheMemoryLimit(t *testing.T) {
	c := decode[corev1.PodTemplateSpec](t, PodTemplate(testPod(), nil, corev1.RestartPolicyNever)).Spec.Containers[0]
	i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == contract.EnvMemoryLimit })
	if i < 0 {
		t.Fatalf("no %s in %+v", contract.EnvMemoryLimit, c.Env)
	}
	ref := c.Env[i].ValueFrom.ResourceFieldRef
	if ref == nil || ref.ContainerName != c.Name || ref.Resource != "limits.memory" || !ref.Divisor.IsZero() {
		t.Errorf("%s comes from %+v, want the container's limits.memory in bytes", contract.EnvMemoryLimit, c.Env[i].ValueFrom)
	}
	if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
		t.Error("the container has no memory limit to hand down")
	}
}
