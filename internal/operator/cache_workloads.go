package operator

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// stripPodSpec caches an owned Deployment, CronJob or Job without its pod
// spec (and, like every cached object, without managed fields). The
// operator never reads a workload's pod spec back: it applies the whole
// object and knows it is in place by the digest it stamped
// (workload.AppliedHashAnnotation), and it reads only metadata, replicas
// and status. Thousands of workloads' containers, environments and volumes
// were memory kept for nothing. Writes never start from a cached workload
// (the one patch, scaling an invalid suspended Playbook to zero, is a merge
// patch of the fields it changes), so nothing stripped here is written back.
func stripPodSpec(obj any) (any, error) {
	obj, err := cache.TransformStripManagedFields()(obj)
	if err != nil {
		return obj, err
	}
	switch o := obj.(type) {
	case *appsv1.Deployment:
		o.Spec.Template.Spec = corev1.PodSpec{}
	case *batchv1.Job:
		o.Spec.Template.Spec = corev1.PodSpec{}
	case *batchv1.CronJob:
		o.Spec.JobTemplate.Spec.Template.Spec = corev1.PodSpec{}
	}
	return obj, nil
}
