package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/retention-dev/retention-operator/internal/operator"
	"github.com/retention-dev/retention-operator/internal/report"
)

// kubeClient connects with the same rules as kubectl: --kubeconfig, else
// $KUBECONFIG, else ~/.kube/config (or in-cluster); the namespace is -n,
// else the context's, else "default".
func kubeClient(opts *globalOptions) (client.Client, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if opts.kubeconfig != "" {
		rules.ExplicitPath = opts.kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{}
	if opts.namespace != "" {
		overrides.Context.Namespace = opts.namespace
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig namespace: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		return nil, "", err
	}
	return c, ns, nil
}

// getObject reads one object and turns "not found" into a message that
// names the kind, namespace and name.
func getObject(ctx context.Context, c client.Client, ns, name, kind string, obj client.Object) error {
	err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, obj)
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%s %s/%s not found (wrong name or namespace? use -n)", kind, ns, name)
	}
	if err != nil {
		return fmt.Errorf("get %s %s/%s: %w", kind, ns, name, err)
	}
	return nil
}

// readSummary decodes data["summary.json"] of a resource's report ConfigMap
// (<name>-<component>-report) into out. It returns false when the worker has
// not reported yet (no ConfigMap or no key).
func readSummary(ctx context.Context, c client.Client, ns, owner, component string, out any) (bool, error) {
	name := owner + "-" + component + "-report"
	var cm corev1.ConfigMap
	err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &cm)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("get report ConfigMap %s/%s: %w", ns, name, err)
	}
	raw, ok := cm.Data[report.Key]
	if !ok || raw == "" {
		return false, nil
	}
	if err := json.Unmarshal([]byte(raw), out); err != nil {
		return false, fmt.Errorf("report ConfigMap %s/%s key %s: %w", ns, name, report.Key, err)
	}
	return true, nil
}

// loadReport fetches the named resource into obj and its worker's summary into
// summary; ok is false until the worker has published one.
func loadReport(cmd *cobra.Command, opts *globalOptions, name, kind, component string, obj client.Object, summary any) (ns string, ok bool, err error) {
	c, ns, err := kubeClient(opts)
	if err != nil {
		return "", false, err
	}
	if err := getObject(cmd.Context(), c, ns, name, kind, obj); err != nil {
		return "", false, err
	}
	ok, err = readSummary(cmd.Context(), c, ns, obj.GetName(), component, summary)
	return ns, ok, err
}
