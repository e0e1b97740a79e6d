package devrun

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// createNamespace creates a namespace named after prefix and unique, so the
// tests can run repeatedly (go test -count=N) against one API server.
func createNamespace(t *testing.T, prefix string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	if err := testC.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

func TestPodEnvResolvesFromTheAPIServer(t *testing.T) {
	ns := createNamespace(t, "env-test")
	must(t, testC.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: ns},
		Data: map[string][]byte{"dsn": []byte("postgres://u:p@db/shop")}}))
	must(t, testC.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns},
		Data: map[string]string{"LEVEL": "debug", "ZONE": "eu"}}))

	env := func(e ...corev1.EnvVar) *corev1.PodSpec {
		return &corev1.PodSpec{ServiceAccountName: "sa", Containers: []corev1.Container{{Name: "w", Env: e}}}
	}
	secret := func(name, key string, optional bool) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key, Optional: ptr.To(optional)}}
	}
	field := func(path string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}
	}
	tests := []struct {
		name    string
		spec    *corev1.PodSpec
		want    []string
		wantErr string
	}{
		{name: "plain values keep their order",
			spec: env(corev1.EnvVar{Name: "B", Value: "2"}, corev1.EnvVar{Name: "A", Value: "1"}),
			want: []string{"B=2", "A=1"}},
		{name: "secretKeyRef",
			spec: env(corev1.EnvVar{Name: "DSN", ValueFrom: secret("db", "dsn", false)}),
			want: []string{"DSN=postgres://u:p@db/shop"}},
		{name: "configMapKeyRef",
			spec: env(corev1.EnvVar{Name: "L", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}, Key: "LEVEL"}}}),
			want: []string{"L=debug"}},
		{name: "fieldRef",
			spec: env(corev1.EnvVar{Name: "POD", ValueFrom: field("metadata.name")},
				corev1.EnvVar{Name: "NS", ValueFrom: field("metadata.namespace")},
				corev1.EnvVar{Name: "SA", ValueFrom: field("spec.serviceAccountName")},
				corev1.EnvVar{Name: "IP", ValueFrom: field("status.podIP")}),
			want: []string{"POD=pod-0", "NS=" + ns, "SA=sa", "IP=127.0.0.1"}},
		{name: "$(VAR) refers to earlier variables, $$ escapes",
			spec: env(corev1.EnvVar{Name: "HOST", Value: "db"}, corev1.EnvVar{Name: "URL", Value: "pg://$(HOST)/x?$$(HOST)&$(NOPE)"}),
			want: []string{"HOST=db", "URL=pg://db/x?$(HOST)&$(NOPE)"}},
		{name: "envFrom with prefix, then env overrides",
			spec: &corev1.PodSpec{Containers: []corev1.Container{{Name: "w",
				EnvFrom: []corev1.EnvFromSource{{Prefix: "S_", ConfigMapRef: &corev1.ConfigMapEnvSource{
					LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}}}},
				Env: []corev1.EnvVar{{Name: "S_ZONE", Value: "us"}}}}},
			want: []string{"S_LEVEL=debug", "S_ZONE=us"}},
		{name: "an optional missing Secret leaves the variable out",
			spec: env(corev1.EnvVar{Name: "X", ValueFrom: secret("absent", "k", true)}, corev1.EnvVar{Name: "Y", Value: "y"}),
			want: []string{"Y=y"}},
		{name: "a missing key names the Secret and the key",
			spec:    env(corev1.EnvVar{Name: "DSN", ValueFrom: secret("db", "url", false)}),
			wantErr: `env DSN: secretKeyRef: Secret db has no key "url"`},
		{name: "a missing Secret names it",
			spec:    env(corev1.EnvVar{Name: "DSN", ValueFrom: secret("absent", "dsn", false)}),
			wantErr: `env DSN: secretKeyRef absent: secrets "absent" not found`},
		{name: "an unknown fieldRef says so",
			spec:    env(corev1.EnvVar{Name: "U", ValueFrom: field("metadata.uid")}),
			wantErr: `env U: fieldRef "metadata.uid" is not available in the local run`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := podEnv(ctx, testC, ns, "pod-0", tt.spec)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("env =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
