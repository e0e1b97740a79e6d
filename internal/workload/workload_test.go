package workload

import (
	"encoding/json"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

var owner = Owner{APIVersion: "retention.dev/v1alpha1", Kind: "Playbook", Name: "winback", Namespace: "shop", UID: "uid-1"}

// decode turns an apply configuration into the typed object the API server
// would see, so tests read ordinary fields.
func decode[T any](t *testing.T, ac any) *T {
	t.Helper()
	raw, err := json.Marshal(ac)
	if err != nil {
		t.Fatal(err)
	}
	out := new(T)
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func testPod() Pod {
	return Pod{
		Image: "img:1", Args: []string{"campaign", "--spec=" + SpecFile}, SpecConfigMap: "winback-campaign",
		SpecHash: "abc", ServiceAccount: "winback-campaign-worker",
		Env: []corev1.EnvVar{
			{Name: "PLAIN", Value: "v"},
			{Name: "DSN", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "dsn"}}},
		},
		Secrets:       []SecretMount{{Secret: "smtp", Dir: "channels/email"}, {Secret: "hook", Dir: "channels/crm"}},
		DataConfigMap: "demo-data",
		Resources:     &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")}},
		Ports:         []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
		Probe:         "/readyz",
	}
}

func TestPodTemplateIsRestricted(t *testing.T) {
	tmpl := decode[corev1.PodTemplateSpec](t, PodTemplate(testPod(), Labels(owner, ComponentCampaign), corev1.RestartPolicyAlways))
	spec := tmpl.Spec
	if !*spec.SecurityContext.RunAsNonRoot || *spec.SecurityContext.RunAsUser != 65532 ||
		spec.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Fatalf("pod security context not restricted: %+v", spec.SecurityContext)
	}
	c := spec.Containers[0]
	sc := c.SecurityContext
	if *sc.AllowPrivilegeEscalation || !*sc.ReadOnlyRootFilesystem || !*sc.RunAsNonRoot ||
		len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Fatalf("container security context not restricted: %+v", sc)
	}
	for _, v := range spec.Volumes {
		if v.HostPath != nil {
			t.Fatalf("hostPath volume %s", v.Name)
		}
	}
}

func TestPodTemplateContents(t *testing.T) {
	tmpl := decode[corev1.PodTemplateSpec](t, PodTemplate(testPod(), Labels(owner, ComponentCampaign), corev1.RestartPolicyAlways))
	c := tmpl.Spec.Containers[0]
	if c.Command[0] != WorkerBinary || c.Args[0] != "campaign" || c.Image != "img:1" {
		t.Fatalf("command %v args %v image %s", c.Command, c.Args, c.Image)
	}
	if tmpl.Annotations[SpecHashAnnotation] != "abc" {
		t.Fatalf("spec hash annotation = %q", tmpl.Annotations[SpecHashAnnotation])
	}
	if c.Env[1].ValueFrom.SecretKeyRef.Name != "db" || c.Env[1].ValueFrom.SecretKeyRef.Key != "dsn" || c.Env[1].Value != "" {
		t.Fatalf("secret env var not passed by reference: %+v", c.Env[1])
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m.Name
	}
	for _, path := range []string{SpecDir, StateDir, "/tmp", DataDir, SecretsDir + "/channels/email", SecretsDir + "/channels/crm"} {
		if mounts[path] == "" {
			t.Errorf("nothing mounted at %s (mounts %v)", path, mounts)
		}
	}
	if mounts[SecretsDir+"/channels/email"] == mounts[SecretsDir+"/channels/crm"] {
		t.Error("two secrets share a volume name")
	}
	if c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.ReadinessProbe.HTTPGet.Port.StrVal != "http" {
		t.Fatalf("readiness probe %+v", c.ReadinessProbe)
	}
	if got := c.Resources.Limits.Memory().String(); got != "256Mi" {
		t.Fatalf("memory limit %s", got)
	}
	if tmpl.Spec.ServiceAccountName != "winback-campaign-worker" || tmpl.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		t.Fatalf("service account %q restart %q", tmpl.Spec.ServiceAccountName, tmpl.Spec.RestartPolicy)
	}
}

func TestCronJob(t *testing.T) {
	for _, suspend := range []bool{false, true} {
		cj := decode[batchv1.CronJob](t, CronJob(owner, ComponentMetrics, "at-risk-metrics", "0 * * * *", suspend, testPod()))
		if cj.Spec.Schedule != "0 * * * *" || *cj.Spec.Suspend != suspend || cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
			t.Fatalf("cronjob spec %+v", cj.Spec)
		}
		if cj.Spec.JobTemplate.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Fatal("job pods must not restart in place")
		}
		ref := cj.OwnerReferences[0]
		if ref.Name != "winback" || ref.UID != "uid-1" || !*ref.Controller || !*ref.BlockOwnerDeletion {
			t.Fatalf("owner reference %+v", ref)
		}
		if cj.Labels[ManagedByLabel] != ManagedBy || cj.Labels[ComponentLabel] != ComponentMetrics {
			t.Fatalf("labels %v", cj.Labels)
		}
	}
}

func TestDeploymentSelectorIsStableSubset(t *testing.T) {
	d := decode[appsv1.Deployment](t, Deployment(owner, ComponentCampaign, "winback-campaign", 3, testPod()))
	if *d.Spec.Replicas != 3 {
		t.Fatalf("replicas %d", *d.Spec.Replicas)
	}
	sel := d.Spec.Selector.MatchLabels
	if _, ok := sel[ManagedByLabel]; ok {
		t.Fatal("selector must not hold labels that may change")
	}
	for k, v := range sel {
		if d.Spec.Template.Labels[k] != v {
			t.Fatalf("selector %s=%s does not select the template (labels %v)", k, v, d.Spec.Template.Labels)
		}
	}
}

func TestServiceAndWorkerRBAC(t *testing.T) {
	svc := decode[corev1.Service](t, Service(owner, ComponentLoyalty, "rewards-loyalty", 8080, "http"))
	if svc.Spec.Ports[0].Port != 8080 || svc.Spec.Ports[0].TargetPort.StrVal != "http" || svc.Spec.Selector[InstanceLabel] != "winback" {
		t.Fatalf("service %+v", svc.Spec)
	}
	role := decode[rbacv1.Role](t, WorkerRole("shop", []string{"winback-campaign-report", "at-risk-metrics-report"}))
	if len(role.Rules) != 1 || role.Name != WorkerIdentity || len(role.OwnerReferences) != 0 {
		t.Fatalf("role %s owners %v rules %+v", role.Name, role.OwnerReferences, role.Rules)
	}
	r := role.Rules[0]
	if len(r.ResourceNames) != 2 || r.ResourceNames[0] != "at-risk-metrics-report" || r.ResourceNames[1] != "winback-campaign-report" || r.Resources[0] != "configmaps" {
		t.Fatalf("workers may write only the namespace's reports, named (sorted): %+v", r)
	}
	for _, verb := range r.Verbs {
		if verb == "list" || verb == "watch" || verb == "create" || verb == "delete" {
			t.Fatalf("worker role grants %s", verb)
		}
	}
	// No reports yet: no rule at all (empty resourceNames would mean every ConfigMap).
	if empty := decode[rbacv1.Role](t, WorkerRole("shop", nil)); len(empty.Rules) != 0 {
		t.Fatalf("role without reports has rules %+v", empty.Rules)
	}
	sa := decode[corev1.ServiceAccount](t, WorkerServiceAccount("shop"))
	if sa.Name != WorkerIdentity || sa.Labels[ManagedByLabel] != ManagedBy {
		t.Fatalf("service account %s labels %v: the manager caches only what carries its label", sa.Name, sa.Labels)
	}
	rb := decode[rbacv1.RoleBinding](t, WorkerRoleBinding("shop"))
	if rb.RoleRef.Name != WorkerIdentity || rb.Subjects[0].Name != WorkerIdentity || rb.Subjects[0].Namespace != "shop" {
		t.Fatalf("role binding %+v", rb)
	}
	report := decode[corev1.ConfigMap](t, ReportConfigMap(owner, ComponentCampaign, "winback-campaign-report"))
	if report.Labels[ReportLabel] != "true" || report.Labels[InstanceLabel] != "winback" {
		t.Fatalf("report ConfigMap labels %v", report.Labels)
	}
}

func TestHashIsStableAndOrderFree(t *testing.T) {
	a := Hash(map[string]string{"spec.json": "{}", "b": "2"})
	b := Hash(map[string]string{"b": "2", "spec.json": "{}"})
	c := Hash(map[string]string{"spec.json": "{ }", "b": "2"})
	// Keys and values are separated, so moving a byte between them changes the hash.
	d := Hash(map[string]string{"ab": "c"})
	e := Hash(map[string]string{"a": "bc"})
	if a != b || a == c || d == e || len(a) != 16 {
		t.Fatalf("hashes a=%s b=%s c=%s d=%s e=%s", a, b, c, d, e)
	}
}

func TestPathsRootContainerPathsForLocalRuns(t *testing.T) {
	t.Setenv(LocalRootEnv, "")
	pod := PathsFromEnv()
	if got := pod.Of(SpecFile); got != SpecFile || pod.Local() {
		t.Fatalf("in a pod Of(%s) = %s, local %v", SpecFile, got, pod.Local())
	}
	if got := pod.Secrets("channels", "mail"); got != SecretsDir+"/channels/mail" {
		t.Fatalf("in a pod Secrets = %s", got)
	}
	t.Setenv(LocalRootEnv, "/tmp/dev/pods/winback")
	local := PathsFromEnv()
	if got := local.Of(SpecFile); got != "/tmp/dev/pods/winback/etc/retention/spec.json" || !local.Local() {
		t.Fatalf("locally Of(%s) = %s, local %v", SpecFile, got, local.Local())
	}
	if got := local.Data(); got != "/tmp/dev/pods/winback"+DataDir {
		t.Fatalf("locally Data() = %s", got)
	}
}
