package controller_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/controller"
	"github.com/retention-dev/retention-operator/internal/operator"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// describe names obj in failure messages: its type, namespace and name.
func describe(obj client.Object) string {
	return fmt.Sprintf("%T %s/%s", obj, obj.GetNamespace(), obj.GetName())
}

// The shipped samples, applied as a user would, must bring up every kind.
var _ = Describe("config/samples", Ordered, func() {
	var ns string

	BeforeAll(func() {
		ns = newNamespace()
		for _, obj := range readManifests(filepath.Join("..", "..", "config", "samples"), ns) {
			Expect(k8s.Create(ctx, obj)).To(Succeed(), "create %s %s", obj.GetKind(), obj.GetName())
		}
	})

	It("makes all five kinds Ready", func() {
		Eventually(func(g Gomega) {
			markDeploymentsAvailable(ns)
			for _, list := range retentionLists() {
				g.Expect(k8s.List(ctx, list, client.InNamespace(ns))).To(Succeed())
				items := statusItems(list)
				g.Expect(items).NotTo(BeEmpty(), "%T", list)
				for _, obj := range items {
					ready := readyCondition(obj)
					g.Expect(ready).NotTo(BeNil(), describe(obj))
					g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), "%s: %s %s", describe(obj), ready.Reason, ready.Message)
					g.Expect(ready.ObservedGeneration).To(Equal(obj.GetGeneration()))
				}
			}
		}, 60*time.Second, 250*time.Millisecond).Should(Succeed())
	})

	It("owns labelled, restricted workloads", func() {
		cronJobs := listIn(ns, &batchv1.CronJobList{})
		segments := listIn(ns, &v1alpha1.SegmentList{})
		// One metric job per Segment plus the loyalty program's expiry/metrics job.
		Expect(cronJobs.Items).To(HaveLen(len(segments.Items) + 1))
		Expect(names(cronJobs.Items)).To(ContainElements("at-risk-metrics", "rewards-loyalty-metrics"))
		for _, cj := range cronJobs.Items {
			expectOwnedAndLabelled(&cj)
			expectRestricted(cj.Spec.JobTemplate.Spec.Template.Spec)
		}

		deps := listIn(ns, &appsv1.DeploymentList{})
		playbooks := listIn(ns, &v1alpha1.PlaybookList{})
		Expect(deps.Items).To(HaveLen(len(playbooks.Items) + 1))
		for _, d := range deps.Items {
			expectOwnedAndLabelled(&d)
			expectRestricted(d.Spec.Template.Spec)
			c := d.Spec.Template.Spec.Containers[0]
			Expect(c.Image).To(Equal(workerImage))
			Expect(d.Spec.Template.Annotations).To(HaveKey(workload.SpecHashAnnotation))
		}
		Expect(names(deps.Items)).To(ContainElements("rewards-loyalty", "at-risk-winback-campaign"))

		var svc corev1.Service
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "rewards-loyalty"}, &svc)).To(Succeed())
		expectOwnedAndLabelled(&svc)
		Expect(svc.Spec.Ports[0].Port).To(Equal(int32(controller.LoyaltyPort)))

		cms := listIn(ns, &corev1.ConfigMapList{}, client.MatchingLabels{workload.ManagedByLabel: workload.ManagedBy})
		// Spec and report ConfigMaps for each Segment, Playbook and the LoyaltyProgram.
		Expect(cms.Items).To(HaveLen(2 * (len(segments.Items) + len(playbooks.Items) + 1)))
		for _, cm := range cms.Items {
			expectOwnedAndLabelled(&cm)
			if !strings.HasSuffix(cm.Name, "-report") {
				Expect(cm.Data).To(HaveKey("spec.json"))
				Expect(cm.Data["spec.json"]).NotTo(ContainSubstring("change-me"), "no secret values in specs")
			}
		}
	})

	It("is Current for kstatus (Flux) once Ready", func() {
		for _, list := range retentionLists() {
			Expect(k8s.List(ctx, list, client.InNamespace(ns))).To(Succeed())
			for _, obj := range statusItems(list) {
				res := kstatusOf(obj)
				Expect(res.Status).To(Equal(status.CurrentStatus), "%s: %s", describe(obj), res.Message)
			}
		}
	})

	It("writes nothing in steady state", func() {
		before := resourceVersions(ns)
		mgrClient := k8s
		base := controller.Base{Client: mgrClient, APIReader: mgrClient, WorkerImage: workerImage,
			StateStore: controller.StateStorePolicy{URL: workload.DefaultState}}
		reconcilers := map[string]interface {
			Reconcile(ctx2 context.Context, req ctrl.Request) (ctrl.Result, error)
		}{
			"DataSource":     &controller.DataSourceReconciler{Base: base},
			"Channel":        &controller.ChannelReconciler{Base: base},
			"Segment":        &controller.SegmentReconciler{Base: base},
			"LoyaltyProgram": &controller.LoyaltyProgramReconciler{Base: base},
			"Playbook":       &controller.PlaybookReconciler{Base: base},
		}
		for round := 0; round < 3; round++ {
			for _, list := range retentionLists() {
				Expect(k8s.List(ctx, list, client.InNamespace(ns))).To(Succeed())
				for _, obj := range statusItems(list) {
					kind := strings.TrimPrefix(strings.TrimSuffix(fmt.Sprintf("%T", obj), ""), "*v1alpha1.")
					_, err := reconcilers[kind].Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
					Expect(err).NotTo(HaveOccurred(), describe(obj))
				}
			}
		}
		// Let the manager's own reconciles (woken by nothing) settle too.
		Consistently(func() map[string]string { return resourceVersions(ns) }, "2s", "250ms").Should(Equal(before))
	})

	It("prints useful columns and documents its fields", func() {
		out := kubectl("get", "playbooks,segments,loyaltyprograms", "-n", ns)
		for _, col := range []string{"READY", "SUSPENDED", "ENROLLED", "SENT", "LIFT", "SIZE", "ENTERED", "EXITED", "RETENTION", "MEMBERS", "LIABILITY", "AGE"} {
			Expect(out).To(ContainSubstring(col))
		}
		Expect(out).To(ContainSubstring("at-risk-winback"))
		explain := kubectl("explain", "playbook.spec.steps")
		Expect(explain).To(ContainSubstring("exactly one action"))
		Expect(explain).To(ContainSubstring("awardPoints"))
		Expect(explain).To(ContainSubstring("Branch on a CEL condition"))
	})
})

// retentionLists returns an empty list of each kind.
func retentionLists() []client.ObjectList {
	return []client.ObjectList{
		&v1alpha1.DataSourceList{}, &v1alpha1.ChannelList{}, &v1alpha1.SegmentList{},
		&v1alpha1.LoyaltyProgramList{}, &v1alpha1.PlaybookList{},
	}
}

type statusObj interface {
	client.Object
	GetConditions() *[]metav1.Condition
}

func statusItems(list client.ObjectList) []statusObj {
	var out []statusObj
	ExpectWithOffset(1, meta.EachListItem(list, func(o runtime.Object) error {
		out = append(out, o.(statusObj))
		return nil
	})).To(Succeed())
	return out
}

func expectOwnedAndLabelled(obj client.Object) {
	refs := obj.GetOwnerReferences()
	ExpectWithOffset(1, refs).To(HaveLen(1), describe(obj))
	ExpectWithOffset(1, refs[0].APIVersion).To(Equal(v1alpha1.GroupVersion.String()))
	ExpectWithOffset(1, refs[0].Controller).To(HaveValue(BeTrue()))
	ExpectWithOffset(1, obj.GetLabels()).To(HaveKeyWithValue(workload.ManagedByLabel, workload.ManagedBy))
	ExpectWithOffset(1, obj.GetLabels()).To(HaveKeyWithValue(workload.InstanceLabel, refs[0].Name))
}

// expectRestricted checks the restricted Pod Security Standard's requirements.
func expectRestricted(spec corev1.PodSpec) {
	ExpectWithOffset(1, spec.SecurityContext.RunAsNonRoot).To(HaveValue(BeTrue()))
	ExpectWithOffset(1, spec.SecurityContext.SeccompProfile.Type).To(Equal(corev1.SeccompProfileTypeRuntimeDefault))
	for _, c := range spec.Containers {
		sc := c.SecurityContext
		ExpectWithOffset(1, sc).NotTo(BeNil())
		ExpectWithOffset(1, sc.AllowPrivilegeEscalation).To(HaveValue(BeFalse()))
		ExpectWithOffset(1, sc.ReadOnlyRootFilesystem).To(HaveValue(BeTrue()))
		ExpectWithOffset(1, sc.RunAsNonRoot).To(HaveValue(BeTrue()))
		ExpectWithOffset(1, sc.Capabilities.Drop).To(ConsistOf(corev1.Capability("ALL")))
		ExpectWithOffset(1, sc.SeccompProfile.Type).To(Equal(corev1.SeccompProfileTypeRuntimeDefault))
	}
	for _, v := range spec.Volumes {
		ExpectWithOffset(1, v.HostPath).To(BeNil())
	}
}

func names[T any, PT interface {
	*T
	client.Object
}](items []T) []string {
	var out []string
	for i := range items {
		out = append(out, PT(&items[i]).GetName())
	}
	return out
}

// resourceVersions maps every object in the namespace that the operator
// writes (the five kinds and their owned objects) to its resourceVersion.
func resourceVersions(ns string) map[string]string {
	out := map[string]string{}
	lists := append(retentionLists(), &appsv1.DeploymentList{}, &batchv1.CronJobList{}, &corev1.ConfigMapList{},
		&corev1.ServiceList{}, &corev1.ServiceAccountList{})
	for _, list := range lists {
		ExpectWithOffset(1, k8s.List(ctx, list, client.InNamespace(ns))).To(Succeed())
		_ = meta.EachListItem(list, func(o runtime.Object) error {
			obj := o.(client.Object)
			out[fmt.Sprintf("%T/%s", obj, obj.GetName())] = obj.GetResourceVersion()
			return nil
		})
	}
	return out
}

// kstatusOf computes the kstatus of a typed object.
func kstatusOf(obj client.Object) *status.Result {
	raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	u := &unstructured.Unstructured{Object: raw}
	gvk, err := apiutil.GVKForObject(obj, operator.Scheme())
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	u.SetGroupVersionKind(gvk)
	res, err := status.Compute(u)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return res
}
