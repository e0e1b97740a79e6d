package controller_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/controller"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// writeCounter records the write requests (POST, PUT, PATCH, DELETE) the
// manager sends, by namespace: the suite wraps the transport of the
// manager's rest.Config with it.
type writeCounter struct {
	mu   sync.Mutex
	byNS map[string][]string
}

func (w *writeCounter) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			if ns := namespaceOf(req.URL.Path); ns != "" {
				w.mu.Lock()
				if w.byNS == nil {
					w.byNS = map[string][]string{}
				}
				w.byNS[ns] = append(w.byNS[ns], req.Method+" "+req.URL.Path)
				w.mu.Unlock()
			}
		}
		return next.RoundTrip(req)
	})
}

// in returns the writes to namespace ns so far.
func (w *writeCounter) in(ns string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.byNS[ns]...)
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// namespaceOf reads <ns> from /api/v1/namespaces/<ns>/... and
// /apis/<group>/<version>/namespaces/<ns>/...
func namespaceOf(path string) string {
	parts := strings.Split(path, "/")
	for i := 0; i+2 < len(parts); i++ {
		if parts[i] == "namespaces" {
			return parts[i+1]
		}
	}
	return ""
}

// countingClient counts the writes a reconciler sends through it.
type countingClient struct {
	client.Client
	mu     sync.Mutex
	writes []string
}

func (c *countingClient) note(verb string, obj client.Object) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes = append(c.writes, verb+" "+describe(obj))
}

func (c *countingClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	c.note("create", obj)
	return c.Client.Create(ctx, obj, opts...)
}

func (c *countingClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	c.note("update", obj)
	return c.Client.Update(ctx, obj, opts...)
}

func (c *countingClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	c.note("patch", obj)
	return c.Client.Patch(ctx, obj, patch, opts...)
}

func (c *countingClient) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	c.note("delete", obj)
	return c.Client.Delete(ctx, obj, opts...)
}

func (c *countingClient) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
	c.mu.Lock()
	c.writes = append(c.writes, "apply")
	c.mu.Unlock()
	return c.Client.Apply(ctx, obj, opts...)
}

func (c *countingClient) Status() client.SubResourceWriter {
	return countingStatus{c.Client.Status(), c}
}

type countingStatus struct {
	client.SubResourceWriter
	c *countingClient
}

func (s countingStatus) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	s.c.note("patch status", obj)
	return s.SubResourceWriter.Patch(ctx, obj, patch, opts...)
}

func (s countingStatus) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	s.c.note("update status", obj)
	return s.SubResourceWriter.Update(ctx, obj, opts...)
}

// The write economy (issue #16): converging objects costs a few writes each
// (every child applied once, status written when it settles), and a
// reconcile that finds everything in place writes nothing. Counted, not timed.
var _ = Describe("Write economy", func() {
	It("converges Segments and Playbooks with at most 8 writes each, and writes nothing once converged", func() {
		ns := fixtureNamespace()
		eventuallyReady(&v1alpha1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shop"}}, metav1.ConditionTrue, "")
		eventuallyReady(&v1alpha1.Channel{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "email"}}, metav1.ConditionTrue, "")
		start := len(managerWrites.in(ns))

		const n = 4
		var segs []*v1alpha1.Segment
		var pbs []*v1alpha1.Playbook
		for i := range n {
			seg := newSegment(ns, "seg-"+string(rune('a'+i)), "customer.frequency >= 2")
			pb := newPlaybook(ns, "pb-"+string(rune('a'+i)), seg.Name)
			Expect(k8s.Create(ctx, seg)).To(Succeed())
			Expect(k8s.Create(ctx, pb)).To(Succeed())
			segs, pbs = append(segs, seg), append(pbs, pb)
		}
		for _, pb := range pbs {
			eventuallyRunning(ns, pb)
		}
		for _, seg := range segs {
			eventuallyReady(seg, metav1.ConditionTrue, "Measured")
		}
		converging := managerWrites.in(ns)[start:]
		// Per object: its spec and report ConfigMaps, its CronJob and
		// first-run Job or Deployment, a status written when it starts and
		// when it is Ready, one event. The namespace's worker identity is
		// counted apart: its ServiceAccount and RoleBinding once, its Role at
		// most once per new report (group-committed, so far fewer in a burst).
		var identity, objects []string
		for _, w := range converging {
			if strings.HasSuffix(w, "/"+workload.WorkerIdentity) {
				identity = append(identity, w)
			} else {
				objects = append(objects, w)
			}
		}
		Expect(len(objects)).To(BeNumerically("<=", 8*2*n), "writes while converging:\n%s", strings.Join(objects, "\n"))
		Expect(len(identity)).To(BeNumerically("<=", 2+2*n), "worker identity writes:\n%s", strings.Join(identity, "\n"))
		GinkgoWriter.Printf("%d writes to converge %d objects, %d for the namespace's worker identity\n", len(objects), 2*n, len(identity))

		// Woken again with nothing changed (a metadata-only edit of each
		// object reaches the manager's reconcilers), it writes nothing.
		quiet := len(managerWrites.in(ns))
		for _, obj := range []client.Object{segs[0], pbs[0]} {
			patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"labels":{"poke":"1"}}}`))
			Expect(k8s.Patch(ctx, obj, patch)).To(Succeed())
		}
		Consistently(func() []string { return managerWrites.in(ns)[quiet:] }, 3*time.Second, 200*time.Millisecond).Should(BeEmpty())

		// The same, certain to have run: reconcile each object directly, as
		// a restarted manager would (no memory of its applies), counting
		// every write its client sends.
		counting := &countingClient{Client: mgr.GetClient()}
		segR, pbR := controller.NewForTest(controller.Base{Client: counting, APIReader: mgr.GetAPIReader(),
			WorkerImage: workerImage, StateStore: controller.StateStorePolicy{URL: workload.DefaultState}})
		for i := range n {
			_, err := segR.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(segs[i])})
			Expect(err).NotTo(HaveOccurred())
			_, err = pbR.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(pbs[i])})
			Expect(err).NotTo(HaveOccurred())
		}
		Expect(counting.writes).To(BeEmpty(), "a reconcile of converged objects wrote")
	})
})
