package workload

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/retention-dev/retention-operator/internal/contract"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
)

// Paths inside every worker container.
const (
	WorkerBinary  = "/worker"
	SpecDir       = "/etc/retention"
	SpecFile      = SpecDir + "/spec.json"
	SecretsDir    = "/var/run/secrets/retention"
	DataDir       = "/var/lib/retention/data"
	StateDir      = "/var/lib/retention/state"
	DefaultState  = "sqlite:" + StateDir + "/state.db"
	containerName = "worker"
	uid           = int64(65532) // distroless nonroot
)

// SecretMount mounts one Secret read-only under SecretsDir/<Dir>.
type SecretMount struct {
	Secret string
	Dir    string
}

// Pod is what a worker pod needs; the builders turn it into a restricted pod template.
type Pod struct {
	Image          string
	Args           []string
	SpecConfigMap  string
	SpecHash       string
	ServiceAccount string
	Env            []corev1.EnvVar
	Secrets        []SecretMount
	// DataConfigMap, when set, is mounted at DataDir (file data sources).
	DataConfigMap string
	Resources     *corev1.ResourceRequirements
	Ports         []corev1.ContainerPort
	// Probe, when set, is the HTTP path of readiness and liveness probes on the first port.
	Probe string
	// Shards > 1 runs a Job's pod that many times as an Indexed Job
	// (shards.go); Deployments ignore it.
	Shards int32
}

// PodTemplate builds a pod template that meets the restricted Pod Security
// Standard: non-root, no privilege escalation, all capabilities dropped,
// RuntimeDefault seccomp, read-only root filesystem (state and /tmp are emptyDirs).
func PodTemplate(p Pod, labels map[string]string, restart corev1.RestartPolicy) *corev1ac.PodTemplateSpecApplyConfiguration {
	container := corev1ac.Container().
		WithName(containerName).
		WithImage(p.Image).
		WithCommand(WorkerBinary).
		WithArgs(p.Args...).
		WithSecurityContext(corev1ac.SecurityContext().
			WithAllowPrivilegeEscalation(false).
			WithReadOnlyRootFilesystem(true).
			WithRunAsNonRoot(true).
			WithCapabilities(corev1ac.Capabilities().WithDrop("ALL")).
			WithSeccompProfile(corev1ac.SeccompProfile().WithType(corev1.SeccompProfileTypeRuntimeDefault))).
		WithVolumeMounts(
			corev1ac.VolumeMount().WithName("spec").WithMountPath(SpecDir).WithReadOnly(true),
			corev1ac.VolumeMount().WithName("state").WithMountPath(StateDir),
			corev1ac.VolumeMount().WithName("tmp").WithMountPath("/tmp"),
		).
		WithTerminationMessagePolicy(corev1.TerminationMessageFallbackToLogsOnError)
	for _, e := range p.Env {
		container.WithEnv(envVar(e))
	}
	container.WithEnv(memoryLimitEnv())
	for _, port := range p.Ports {
		container.WithPorts(corev1ac.ContainerPort().WithName(port.Name).WithContainerPort(port.ContainerPort).WithProtocol(corev1.ProtocolTCP))
	}
	if p.Probe != "" && len(p.Ports) > 0 {
		probe := func() *corev1ac.ProbeApplyConfiguration {
			return corev1ac.Probe().WithHTTPGet(corev1ac.HTTPGetAction().
				WithPath(p.Probe).WithPort(intOrStringName(p.Ports[0].Name)))
		}
		// The first readiness probe waits for the server to start (it opens
		// and migrates the shared state store first): a probe that finds
		// nothing listening is a Warning event on every install. Liveness
		// only restarts a server that stopped answering for a minute.
		container.WithReadinessProbe(probe().WithInitialDelaySeconds(10).WithTimeoutSeconds(5)).
			WithLivenessProbe(probe().WithInitialDelaySeconds(60).WithTimeoutSeconds(5).WithFailureThreshold(6))
	}
	container.WithResources(resources(p.Resources))

	volumes := []*corev1ac.VolumeApplyConfiguration{
		corev1ac.Volume().WithName("spec").WithConfigMap(corev1ac.ConfigMapVolumeSource().WithName(p.SpecConfigMap)),
		corev1ac.Volume().WithName("state").WithEmptyDir(corev1ac.EmptyDirVolumeSource()),
		corev1ac.Volume().WithName("tmp").WithEmptyDir(corev1ac.EmptyDirVolumeSource()),
	}
	for i, s := range p.Secrets {
		name := secretVolumeName(i)
		volumes = append(volumes, corev1ac.Volume().WithName(name).
			WithSecret(corev1ac.SecretVolumeSource().WithSecretName(s.Secret)))
		container.WithVolumeMounts(corev1ac.VolumeMount().WithName(name).
			WithMountPath(SecretsDir + "/" + s.Dir).WithReadOnly(true))
	}
	if p.DataConfigMap != "" {
		volumes = append(volumes, corev1ac.Volume().WithName("data").
			WithConfigMap(corev1ac.ConfigMapVolumeSource().WithName(p.DataConfigMap)))
		container.WithVolumeMounts(corev1ac.VolumeMount().WithName("data").WithMountPath(DataDir).WithReadOnly(true))
	}

	spec := corev1ac.PodSpec().
		WithServiceAccountName(p.ServiceAccount).
		WithAutomountServiceAccountToken(true). // the worker writes its report ConfigMap
		WithRestartPolicy(restart).
		WithSecurityContext(corev1ac.PodSecurityContext().
			WithRunAsNonRoot(true).
			WithRunAsUser(uid).
			WithRunAsGroup(uid).
			WithFSGroup(uid).
			WithSeccompProfile(corev1ac.SeccompProfile().WithType(corev1.SeccompProfileTypeRuntimeDefault))).
		WithContainers(container).
		WithVolumes(volumes...)

	meta := corev1ac.PodTemplateSpec().WithLabels(labels)
	if p.SpecHash != "" {
		meta.WithAnnotations(map[string]string{SpecHashAnnotation: p.SpecHash})
	}
	return meta.WithSpec(spec)
}

// DefaultResources are every worker's requests and limits unless its resource
// sets its own: a worker without requests is the first to be evicted and
// schedules anywhere; without a memory limit one bad run can starve the node.
var DefaultResources = corev1.ResourceRequirements{
	Requests: corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("50m"),
		corev1.ResourceMemory: resource.MustParse("64Mi"),
	},
	Limits: corev1.ResourceList{
		corev1.ResourceMemory: resource.MustParse("1Gi"),
	},
}

// resources is the resource's own requirements, each list falling back to
// the default when it is empty. The lists are copies: the client decodes the
// server's answer into the apply configuration, so a shared map (the
// default's, or the spec's) would be written by concurrent reconciles.
func resources(own *corev1.ResourceRequirements) *corev1ac.ResourceRequirementsApplyConfiguration {
	requests, limits := DefaultResources.Requests, DefaultResources.Limits
	if own != nil && len(own.Requests) > 0 {
		requests = own.Requests
	}
	if own != nil && len(own.Limits) > 0 {
		limits = own.Limits
	}
	return corev1ac.ResourceRequirements().WithRequests(requests.DeepCopy()).WithLimits(limits.DeepCopy())
}

// envVar is e as an apply configuration. The two types share one JSON form,
// so every kind of valueFrom the API has (config map and resource field
// references too, Optional flags included) carries over whole; copied
// field by field, a kind nobody wrote out was dropped without a word.
func envVar(e corev1.EnvVar) *corev1ac.EnvVarApplyConfiguration {
	var ac corev1ac.EnvVarApplyConfiguration
	b, err := json.Marshal(e)
	if err == nil {
		err = json.Unmarshal(b, &ac)
	}
	if err != nil { // a plain struct always encodes, and decodes into its mirror
		panic(fmt.Sprintf("env %s: %v", e.Name, err))
	}
	return &ac
}

// memoryLimitEnv hands the container its own memory limit, in bytes, so
// the worker's garbage collector can keep the heap under it instead of the
// kernel killing the pod at the limit (memtune.FollowLimit).
func memoryLimitEnv() *corev1ac.EnvVarApplyConfiguration {
	return corev1ac.EnvVar().WithName(contract.EnvMemoryLimit).WithValueFrom(corev1ac.EnvVarSource().
		WithResourceFieldRef(corev1ac.ResourceFieldSelector().WithContainerName(containerName).WithResource("limits.memory")))
}

// secretVolumeName names the i-th Secret's volume: secret-a to secret-z
// (the names pods have always had, so an upgrade rolls no worker), then
// secret-26, secret-27, ...: a DNS label for any number of mounts.
func secretVolumeName(i int) string {
	if i < 26 {
		return "secret-" + string(rune('a'+i))
	}
	return "secret-" + strconv.Itoa(i)
}
