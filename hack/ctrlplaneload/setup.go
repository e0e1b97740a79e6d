package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/retention-dev/retention-operator/internal/operator"
)

// clients are the bench's own (admin) clients: they set up, load and play
// the cluster stand-in; none of their writes are the manager's.
type clients struct {
	client.Client
	kube kubernetes.Interface
	cfg  *rest.Config
}

func (c *clients) adminConfig() *rest.Config { return rest.CopyConfig(c.cfg) }

func newClients(cfg *rest.Config) (*clients, error) {
	c, err := client.New(cfg, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		return nil, err
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &clients{Client: c, kube: kube, cfg: cfg}, nil
}

// leaderNamespace holds the manager's leader-election lease.
const leaderNamespace = "retention-system"

// installManagerRBAC binds the manager's user to the ClusterRole generated
// from the kubebuilder markers (config/rbac/role.yaml) and to the
// leader-election Role in leaderNamespace: the rights the chart grants.
func installManagerRBAC(ctx context.Context, c *clients, dir string) error {
	var role rbacv1.ClusterRole
	if err := readYAML(filepath.Join(dir, "role.yaml"), &role); err != nil {
		return err
	}
	var leader rbacv1.Role
	if err := readYAML(filepath.Join(dir, "leader_election_role.yaml"), &leader); err != nil {
		return err
	}
	subject := []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: managerUser}}
	leader.Namespace = leaderNamespace
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: leaderNamespace}},
		&role,
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: role.Name}, Subjects: subject,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name}},
		&leader,
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: leader.Name, Namespace: leaderNamespace}, Subjects: subject,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: leader.Name}},
	}
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil {
			return fmt.Errorf("create %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}

func readYAML(path string, into any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// setupNamespace creates the load's namespace, its Secrets, DataSource and Channel.
func setupNamespace(ctx context.Context, c *clients, namespace string) error {
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		return err
	}
	objs, err := documents(fmt.Sprintf(prerequisites, namespace))
	if err != nil {
		return err
	}
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil {
			return fmt.Errorf("create %s %s: %w", o.GetKind(), o.GetName(), err)
		}
	}
	return nil
}

// applyLoad creates Segment i and Playbook i for i in [0, n), from
// concurrency goroutines, in index order (as a GitOps tool would apply a
// directory: each Playbook soon after its Segment).
func applyLoad(ctx context.Context, c *clients, namespace string, n, concurrency int) error {
	work := make(chan *unstructured.Unstructured)
	errs := make(chan error, concurrency)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for o := range work {
				if err := c.Create(ctx, o); err != nil {
					errs <- fmt.Errorf("create %s %s: %w", o.GetKind(), o.GetName(), err)
					return
				}
			}
		})
	}
	var err error
feed:
	for i := range n {
		for _, o := range []*unstructured.Unstructured{object(segmentYAML, namespace, i), object(playbookYAML, namespace, i)} {
			select {
			case work <- o:
			case err = <-errs:
				break feed
			case <-ctx.Done():
				err = ctx.Err()
				break feed
			}
		}
	}
	close(work)
	wg.Wait()
	if err != nil {
		return err
	}
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}
