package operator

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/retention-dev/retention-operator/internal/workload"
)

// The cached copy of an owned workload keeps what the operator reads back
// (identity, the applied digest, replicas, the pod template's annotations,
// status) and drops the pod spec and managed fields.
func TestStripPodSpecKeepsWhatIsReadBack(t *testing.T) {
	meta := func() metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: "w", Namespace: "shop", Generation: 3, UID: "u-1",
			Annotations:   map[string]string{workload.AppliedHashAnnotation: "abc"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "retention-operator"}}}
	}
	template := func() corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{workload.SpecHashAnnotation: "s1"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "worker", Env: []corev1.EnvVar{{Name: "A", Value: "b"}}}}}}
	}
	dep := &appsv1.Deployment{ObjectMeta: meta(), Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(2)), Template: template()},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 3, AvailableReplicas: 2}}
	job := &batchv1.Job{ObjectMeta: meta(), Spec: batchv1.JobSpec{Template: template()}, Status: batchv1.JobStatus{Succeeded: 1}}
	cron := &batchv1.CronJob{ObjectMeta: meta(), Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *",
		JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: template()}}}}

	for _, obj := range []any{dep, job, cron} {
		if _, err := stripPodSpec(obj); err != nil {
			t.Fatal(err)
		}
	}
	for name, got := range map[string]struct {
		meta     metav1.ObjectMeta
		template corev1.PodTemplateSpec
	}{"deployment": {dep.ObjectMeta, dep.Spec.Template}, "job": {job.ObjectMeta, job.Spec.Template},
		"cronjob": {cron.ObjectMeta, cron.Spec.JobTemplate.Spec.Template}} {
		if len(got.template.Spec.Containers) != 0 || got.meta.ManagedFields != nil {
			t.Errorf("%s: pod spec or managed fields kept: %+v", name, got.template.Spec)
		}
		if got.meta.Annotations[workload.AppliedHashAnnotation] != "abc" || got.meta.Generation != 3 || got.meta.UID != "u-1" ||
			got.template.Annotations[workload.SpecHashAnnotation] != "s1" {
			t.Errorf("%s: identity, digest or template annotations lost: %+v", name, got.meta)
		}
	}
	if *dep.Spec.Replicas != 2 || dep.Status.AvailableReplicas != 2 || job.Status.Succeeded != 1 || cron.Spec.Schedule != "0 3 * * *" {
		t.Errorf("replicas, status or schedule lost: %+v %+v %+v", dep.Spec, job.Status, cron.Spec)
	}
}
