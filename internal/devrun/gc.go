package devrun

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// gcEvery is how many syncs pass between garbage collections.
const gcEvery = 5

// collectGarbage does the garbage collector's job (kube-controller-manager
// does not run locally) for what the operator owns: an object whose
// controller owner is gone, or was replaced by a new object of the same name,
// is deleted. Deleting a Playbook therefore removes its Deployment, and the
// local kubelet then stops its worker, as in a cluster.
func (k *kubelet) collectGarbage(ctx context.Context) {
	lists := []client.ObjectList{
		&appsv1.DeploymentList{}, &batchv1.CronJobList{}, &corev1.ConfigMapList{}, &corev1.ServiceList{},
		&corev1.ServiceAccountList{}, &rbacv1.RoleList{}, &rbacv1.RoleBindingList{},
	}
	for _, list := range lists {
		if err := k.c.List(ctx, list, managedBy); err != nil {
			continue
		}
		_ = meta.EachListItem(list, func(o runtime.Object) error {
			obj, ok := o.(client.Object)
			if !ok {
				return nil
			}
			ref := metav1.GetControllerOf(obj)
			if ref == nil {
				return nil
			}
			owner := &metav1.PartialObjectMetadata{}
			owner.SetGroupVersionKind(schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind))
			err := k.c.Get(ctx, client.ObjectKey{Namespace: obj.GetNamespace(), Name: ref.Name}, owner)
			if apierrors.IsNotFound(err) || (err == nil && owner.UID != ref.UID) {
				_ = k.c.Delete(ctx, obj, client.PropagationPolicy(metav1.DeletePropagationBackground))
			}
			return nil
		})
	}
}
