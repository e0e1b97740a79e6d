package controller_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/rand"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/conditions"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/workload"
)

const (
	timeout  = 30 * time.Second
	interval = 100 * time.Millisecond
)

// listIn fills list with the objects of its kind in ns that match opts.
func listIn[L client.ObjectList](ns string, list L, opts ...client.ListOption) L {
	GinkgoHelper()
	Expect(k8s.List(ctx, list, append(opts, client.InNamespace(ns))...)).To(Succeed())
	return list
}

// fixtureNamespace is a new namespace with the fixture's DataSource and Channel.
func fixtureNamespace() string {
	ns := newNamespace()
	fixture(ns)
	return ns
}

// create creates obj in the API server and returns it.
func create[T client.Object](obj T) T {
	GinkgoHelper()
	Expect(k8s.Create(ctx, obj)).To(Succeed())
	return obj
}

// reload reads obj back from the API server.
func reload(g Gomega, obj client.Object) {
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj)).To(Succeed())
}

// beNotFound matches the error of reading an object that does not exist.
func beNotFound() types.GomegaMatcher {
	return Satisfy(apierrors.IsNotFound)
}

// createSecret creates the Secret name in ns holding data.
func createSecret(ns, name string, data map[string]string) *corev1.Secret {
	GinkgoHelper()
	return create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, StringData: data})
}

// newNamespace creates a namespace of its own for one spec.
func newNamespace() string {
	name := "t-" + rand.String(6)
	Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	return name
}

// readManifests parses every YAML document under dir into unstructured
// objects, moved into namespace ns (when ns is not empty) and without
// Namespace objects.
func readManifests(dir, ns string) []*unstructured.Unstructured {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	Expect(err).NotTo(HaveOccurred())
	sort.Strings(files)
	var out []*unstructured.Unstructured
	for _, f := range files {
		raw, err := os.ReadFile(f)
		Expect(err).NotTo(HaveOccurred())
		dec := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
		for {
			doc, err := dec.Read()
			if err == io.EOF {
				break
			}
			Expect(err).NotTo(HaveOccurred())
			obj := &unstructured.Unstructured{}
			if err := utilyaml.Unmarshal(doc, &obj.Object); err != nil || len(obj.Object) == 0 {
				continue
			}
			if obj.GetKind() == "Namespace" {
				continue
			}
			if ns != "" {
				obj.SetNamespace(ns)
			}
			out = append(out, obj)
		}
	}
	return out
}

// markDeploymentsAvailable stands in for the kubelet and the deployment
// controller (neither runs under envtest): every owned Deployment that is not
// yet reported available at its generation gets a status saying so. It leaves
// already-available Deployments untouched, so steady state stays steady.
func markDeploymentsAvailable(ns string) {
	completeFirstMetricRuns(ns)
	var deps appsv1.DeploymentList
	Expect(k8s.List(ctx, &deps, client.InNamespace(ns), client.MatchingLabels{workload.ManagedByLabel: workload.ManagedBy})).To(Succeed())
	for i := range deps.Items {
		d := &deps.Items[i]
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		if d.Status.ObservedGeneration == d.Generation && d.Status.AvailableReplicas == want && len(d.Status.Conditions) > 0 {
			continue
		}
		d.Status = appsv1.DeploymentStatus{
			ObservedGeneration: d.Generation, Replicas: want, ReadyReplicas: want,
			AvailableReplicas: want, UpdatedReplicas: want,
			Conditions: []appsv1.DeploymentCondition{{
				Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue,
				Reason: "MinimumReplicasAvailable", LastUpdateTime: metav1.Now(), LastTransitionTime: metav1.Now(),
			}},
		}
		err := k8s.Status().Update(ctx, d)
		if err != nil && !apierrors.IsConflict(err) {
			Expect(err).NotTo(HaveOccurred())
		}
	}
}

// completeFirstMetricRuns stands in for the first run of each Segment's
// metric job (no kubelet runs its Job here): a Segment whose report ConfigMap
// holds no report yet gets an empty successful one, so it has figures and
// becomes Ready, as it would a minute after creation in a cluster.
func completeFirstMetricRuns(ns string) {
	var segs v1alpha1.SegmentList
	Expect(k8s.List(ctx, &segs, client.InNamespace(ns))).To(Succeed())
	for _, seg := range segs.Items {
		cm := &corev1.ConfigMap{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: seg.Name + "-metrics-report"}, cm); err != nil {
			continue // not applied yet; the next call finds it
		}
		if cm.Data[report.Key] != "" {
			continue
		}
		run := time.Now().UTC().Truncate(time.Second)
		b, err := json.Marshal(report.Segment{RunTime: run, LastSuccess: &run, Succeeded: true, DataSourceReachable: true})
		Expect(err).NotTo(HaveOccurred())
		patch := client.MergeFrom(cm.DeepCopy())
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		cm.Data[report.Key] = string(b)
		if err := k8s.Patch(ctx, cm, patch); err != nil && !apierrors.IsConflict(err) {
			Expect(err).NotTo(HaveOccurred())
		}
	}
}

// waitMeasured stands in for the Segment's first metric run and waits until
// the Segment is Ready with figures.
func waitMeasured(ns, name string) {
	seg := &v1alpha1.Segment{}
	Eventually(func(g Gomega) {
		completeFirstMetricRuns(ns)
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, seg)).To(Succeed())
		g.Expect(readyCondition(seg)).NotTo(BeNil())
		g.Expect(readyCondition(seg).Status).To(Equal(metav1.ConditionTrue))
	}, timeout, interval).Should(Succeed())
}

// atRiskNamespace is a fresh namespace with the fixture and the Segment
// "at-risk" (no order for 60 days) that the Playbook specs target, measured:
// a Segment has figures once its first metric run reported.
func atRiskNamespace() string {
	ns := fixtureNamespace()
	Expect(k8s.Create(ctx, newSegment(ns, "at-risk", "customer.recencyDays > 60.0"))).To(Succeed())
	waitMeasured(ns, "at-risk")
	return ns
}

// eventuallyRunning plays the kubelet for ns until the Playbook is Ready
// because its campaign worker runs.
func eventuallyRunning(ns string, pb *v1alpha1.Playbook) {
	GinkgoHelper()
	eventuallyAvailable(ns, pb, "Running")
}

// eventuallyAvailable plays the kubelet for ns until obj is Ready and, when
// reason is not empty, Ready for that reason.
func eventuallyAvailable(ns string, obj retentionObject, reason string) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		markDeploymentsAvailable(ns)
		reload(g, obj)
		g.Expect(readyCondition(obj)).NotTo(BeNil())
		g.Expect(readyCondition(obj).Status).To(Equal(metav1.ConditionTrue), "Ready: %+v", readyCondition(obj))
		if reason != "" {
			g.Expect(readyCondition(obj).Reason).To(Equal(reason), "Ready: %+v", readyCondition(obj))
		}
	}, timeout, interval).Should(Succeed())
}

// workerPod returns the pod template of the worker Deployment name in ns,
// having checked that it runs the worker command on its mounted spec and is
// probed for readiness at readyPath.
func workerPod(ns, name, command, readyPath string) corev1.PodSpec {
	GinkgoHelper()
	dep := &appsv1.Deployment{}
	Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, dep)).To(Succeed())
	c := dep.Spec.Template.Spec.Containers[0]
	Expect(c.Args).To(Equal([]string{command, "--spec=/etc/retention/spec.json"}))
	Expect(c.ReadinessProbe.HTTPGet.Path).To(Equal(readyPath))
	return dep.Spec.Template.Spec
}

// eventNotes lists the notes of the events in ns with that reason about the
// object named regarding.
func eventNotes(g Gomega, ns, reason, regarding string) []string {
	var events eventsv1.EventList
	g.Expect(k8s.List(ctx, &events, client.InNamespace(ns))).To(Succeed())
	var notes []string
	for _, e := range events.Items {
		if e.Reason == reason && e.Regarding.Name == regarding {
			notes = append(notes, e.Note)
		}
	}
	return notes
}

// readyCondition returns the Ready condition of a retention object.
func readyCondition(obj conditions.Object) *metav1.Condition {
	return meta.FindStatusCondition(*obj.GetConditions(), v1alpha1.ConditionReady)
}

// retentionObject is any retention.dev object.
type retentionObject interface {
	client.Object
	conditions.Object
}

// eventuallyReady waits for obj's Ready to have the status and, when given, reason.
func eventuallyReady(obj retentionObject, status metav1.ConditionStatus, reason string) *metav1.Condition {
	var got *metav1.Condition
	Eventually(func(g Gomega) {
		reload(g, obj)
		got = readyCondition(obj)
		g.Expect(got).NotTo(BeNil())
		g.Expect(got.Status).To(Equal(status), "Ready is %s/%s: %s", got.Status, got.Reason, got.Message)
		if reason != "" {
			g.Expect(got.Reason).To(Equal(reason), "Ready is %s/%s: %s", got.Status, got.Reason, got.Message)
		}
		g.Expect(got.ObservedGeneration).To(Equal(obj.GetGeneration()))
	}, timeout, interval).Should(Succeed())
	return got
}

// kubectl runs the real kubectl against the test API server.
func kubectl(args ...string) string {
	cmd := exec.Command(filepath.Join(testEnv.BinaryAssetsDirectory, "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "kubectl %v: %s", args, out)
	return string(out)
}
