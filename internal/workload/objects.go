package workload

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"sort"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	batchv1ac "k8s.io/client-go/applyconfigurations/batch/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"
)

// SpecConfigMap holds the rendered spec the worker reads from SpecFile.
func SpecConfigMap(owner Owner, component, name string, data map[string]string) *corev1ac.ConfigMapApplyConfiguration {
	return corev1ac.ConfigMap(name, owner.Namespace).
		WithLabels(Labels(owner, component)).
		WithOwnerReferences(ownerReference(owner)).
		WithData(data)
}

// ReportConfigMap is created empty by the controller (labelled ReportLabel,
// which is how the shared worker Role finds the names it grants); the worker owns its data
// (server-side apply leaves fields this manager never set alone), and the
// controller folds that data into the custom resource's status.
func ReportConfigMap(owner Owner, component, name string) *corev1ac.ConfigMapApplyConfiguration {
	return corev1ac.ConfigMap(name, owner.Namespace).
		WithLabels(Labels(owner, component)).
		WithLabels(map[string]string{ReportLabel: "true"}).
		WithOwnerReferences(ownerReference(owner))
}

// Hash is a short, stable digest of a ConfigMap's data.
func Hash(data map[string]string) string {
	keys := slices.Sorted(maps.Keys(data))
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(data[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// JobDeadline bounds every run of a worker Job: a run that hangs (a stuck
// database, a pathological expression that slipped past its cost limit) is
// stopped, so it cannot block later runs of a CronJob that forbids overlap.
const JobDeadline = int64(3600)

// jobSpec is the one shape of every worker run, scheduled or not.
func jobSpec(pod Pod, labels map[string]string) *batchv1ac.JobSpecApplyConfiguration {
	spec := batchv1ac.JobSpec().
		WithBackoffLimit(2).
		WithActiveDeadlineSeconds(JobDeadline).
		WithTTLSecondsAfterFinished(86400).
		WithTemplate(PodTemplate(pod, labels, corev1.RestartPolicyNever))
	if pod.Shards > 1 {
		indexed(spec, pod.Shards)
	}
	return spec
}

// CronJob runs a worker pod on a schedule. Forbid keeps runs from overlapping;
// a short history keeps the namespace tidy.
func CronJob(owner Owner, component, name, schedule string, suspend bool, pod Pod) *batchv1ac.CronJobApplyConfiguration {
	labels := Labels(owner, component)
	return batchv1ac.CronJob(name, owner.Namespace).
		WithLabels(labels).
		WithOwnerReferences(ownerReference(owner)).
		WithSpec(batchv1ac.CronJobSpec().
			WithSchedule(schedule).
			WithSuspend(suspend).
			WithConcurrencyPolicy(batchv1.ForbidConcurrent).
			WithSuccessfulJobsHistoryLimit(3).
			WithFailedJobsHistoryLimit(3).
			WithJobTemplate(batchv1ac.JobTemplateSpec().
				WithLabels(labels).
				WithSpec(jobSpec(pod, labels))))
}

// Job runs a worker pod once, now: the first run of a new spec, so a new or
// changed Segment has figures within a minute instead of at its next
// scheduled time. Its name carries the spec hash, so each spec runs once.
func Job(owner Owner, component, name string, pod Pod) *batchv1ac.JobApplyConfiguration {
	labels := Labels(owner, component)
	return batchv1ac.Job(name, owner.Namespace).
		WithLabels(labels).
		WithOwnerReferences(ownerReference(owner)).
		WithSpec(jobSpec(pod, labels))
}

// Deployment runs long-lived worker replicas.
func Deployment(owner Owner, component, name string, replicas int32, pod Pod) *appsv1ac.DeploymentApplyConfiguration {
	return appsv1ac.Deployment(name, owner.Namespace).
		WithLabels(Labels(owner, component)).
		WithOwnerReferences(ownerReference(owner)).
		WithSpec(appsv1ac.DeploymentSpec().
			WithReplicas(replicas).
			WithSelector(metav1ac.LabelSelector().WithMatchLabels(SelectorLabels(owner, component))).
			WithTemplate(PodTemplate(pod, Labels(owner, component), corev1.RestartPolicyAlways)))
}

// Service exposes a Deployment's named port.
func Service(owner Owner, component, name string, port int32, targetPort string) *corev1ac.ServiceApplyConfiguration {
	return corev1ac.Service(name, owner.Namespace).
		WithLabels(Labels(owner, component)).
		WithOwnerReferences(ownerReference(owner)).
		WithSpec(corev1ac.ServiceSpec().
			WithSelector(SelectorLabels(owner, component)).
			WithPorts(corev1ac.ServicePort().
				WithName(targetPort).
				WithPort(port).
				WithTargetPort(intstr.FromString(targetPort)).
				WithProtocol(corev1.ProtocolTCP)))
}

// WorkerIdentity names the ServiceAccount, Role and RoleBinding that every
// worker pod of a namespace runs as: one identity per namespace rather than
// per custom resource, so a thousand Segments do not cost three thousand RBAC
// objects (and their writes). Least privilege is kept by the Role, not the
// name: it lists the namespace's report ConfigMaps by resourceNames, so a
// worker can read and write reports (aggregates only, redacted) and nothing
// else: not the spec ConfigMaps, not the user's data ConfigMaps, no Secrets
// (those reach a pod only as the mounts its template names).
const WorkerIdentity = "retention-worker"

// identityLabels label the shared worker identity: managed by the operator
// (so its cache holds them), owned by no single resource.
func identityLabels() map[string]string {
	return map[string]string{
		ManagedByLabel: ManagedBy,
		NameLabel:      "retention-worker",
		PartOfLabel:    "retention-operator",
	}
}

// WorkerServiceAccount is the identity of a namespace's workers. It has no
// owner: it serves every retention resource of the namespace.
func WorkerServiceAccount(namespace string) *corev1ac.ServiceAccountApplyConfiguration {
	return corev1ac.ServiceAccount(WorkerIdentity, namespace).WithLabels(identityLabels())
}

// WorkerRole lets the namespace's workers get, update and patch the report
// ConfigMaps named, and nothing else. With no names it has no rule at all: an
// RBAC rule with empty resourceNames would mean every ConfigMap.
func WorkerRole(namespace string, reportConfigMaps []string) *rbacv1ac.RoleApplyConfiguration {
	role := rbacv1ac.Role(WorkerIdentity, namespace).WithLabels(identityLabels())
	if len(reportConfigMaps) == 0 {
		return role
	}
	names := append([]string(nil), reportConfigMaps...)
	sort.Strings(names)
	return role.WithRules(rbacv1ac.PolicyRule().
		WithAPIGroups("").
		WithResources("configmaps").
		WithResourceNames(names...).
		WithVerbs("get", "update", "patch"))
}

// WorkerRoleBinding binds WorkerRole to WorkerServiceAccount.
func WorkerRoleBinding(namespace string) *rbacv1ac.RoleBindingApplyConfiguration {
	return rbacv1ac.RoleBinding(WorkerIdentity, namespace).
		WithLabels(identityLabels()).
		WithRoleRef(rbacv1ac.RoleRef().WithAPIGroup("rbac.authorization.k8s.io").WithKind("Role").WithName(WorkerIdentity)).
		WithSubjects(rbacv1ac.Subject().WithKind("ServiceAccount").WithName(WorkerIdentity).WithNamespace(namespace))
}
