package report

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/retention-dev/retention-operator/internal/contract"
)

// Key is the ConfigMap data key holding the summary.
const Key = "summary.json"

// Publisher delivers a summary.
type Publisher interface {
	Publish(ctx context.Context, summary Summary) error
}

// PublisherFunc adapts a function.
type PublisherFunc func(ctx context.Context, summary Summary) error

// Publish calls f.
func (f PublisherFunc) Publish(ctx context.Context, summary Summary) error { return f(ctx, summary) }

// FromEnv picks the publisher the controller configured: a report ConfigMap
// (in a cluster, or locally through KUBECONFIG), or a file.
func FromEnv() (Publisher, error) { return FromEnvFor("") }

// FromEnvFor is FromEnv for one replica of several: a ConfigMap report is
// written to the replica's own section too (see configMap); a file is
// one process's and is written whole. An empty replica is FromEnv.
func FromEnvFor(replica string) (Publisher, error) {
	if path := os.Getenv(contract.EnvReportFile); path != "" {
		return File(path), nil
	}
	name, ns := os.Getenv(contract.EnvReportConfigMap), os.Getenv(contract.EnvNamespace)
	if name == "" || ns == "" {
		return nil, fmt.Errorf("no report destination: set %s and %s (the controller does), or %s", contract.EnvReportConfigMap, contract.EnvNamespace, contract.EnvReportFile)
	}
	// Same loading rules as kubectl: in-cluster service account first, then KUBECONFIG.
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		clientcmd.NewDefaultClientConfigLoadingRules(), &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("report ConfigMap %s/%s: %w", ns, name, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return configMap(cs, ns, name, replica), nil
}

// File writes the summary atomically to path, its error redacted.
func File(path string) Publisher {
	return PublisherFunc(func(_ context.Context, summary Summary) error {
		b, err := json.MarshalIndent(redacted(summary), "", "  ")
		if err != nil {
			return err
		}
		tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, path)
	})
}

// configMap merge-patches the summary, its error redacted, into data[Key] of
// an existing ConfigMap. With a replica (one of several) it also writes the
// replica's own section (SectionKey), so readers that merge (MergePlaybook)
// never see one replica overwrite another; data[Key] is still written for
// readers that do not merge sections.
func configMap(cs kubernetes.Interface, namespace, name, replica string) Publisher {
	return PublisherFunc(func(ctx context.Context, summary Summary) error {
		b, err := json.Marshal(redacted(summary))
		if err != nil {
			return err
		}
		data := map[string]any{Key: string(b)}
		if replica != "" {
			data[SectionKey(replica)] = string(b)
			if err := pruneSections(ctx, cs, namespace, name, b, data); err != nil {
				return err
			}
		}
		patch, err := json.Marshal(map[string]any{"data": data})
		if err != nil {
			return err
		}
		_, err = cs.CoreV1().ConfigMaps(namespace).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "retention-worker"})
		if err != nil {
			return fmt.Errorf("publish report to ConfigMap %s/%s: %w", namespace, name, err)
		}
		return nil
	})
}

// Decode reads a summary from ConfigMap data; ok is false when there is none yet.
func Decode(data map[string]string, v any) (ok bool, err error) {
	raw, found := data[Key]
	if !found || raw == "" {
		return false, nil
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return false, fmt.Errorf("report %s: %w", Key, err)
	}
	return true, nil
}

// StaleSection is how old a replica's section may be, relative to the one
// being published, before the publisher removes it: replicas publish about
// once a minute, so an older section is a pod that is gone (rollouts give
// pods new names, which would otherwise pile up in the ConfigMap).
const StaleSection = 15 * time.Minute

// pruneSections adds a removal (JSON null in the merge patch) to data for
// every other section older than StaleSection before summary's reportTime.
func pruneSections(ctx context.Context, cs kubernetes.Interface, namespace, name string, summary []byte, data map[string]any) error {
	var own struct {
		ReportTime time.Time `json:"reportTime"`
	}
	if err := json.Unmarshal(summary, &own); err != nil || own.ReportTime.IsZero() {
		return nil // not a timed report: nothing to compare with
	}
	cm, err := cs.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("publish report to ConfigMap %s/%s: %w", namespace, name, err)
	}
	for k, v := range cm.Data {
		if _, ours := data[k]; ours || !isSection(k) {
			continue
		}
		var other struct {
			ReportTime time.Time `json:"reportTime"`
		}
		if json.Unmarshal([]byte(v), &other) != nil || other.ReportTime.Before(own.ReportTime.Add(-StaleSection)) {
			data[k] = nil
		}
	}
	return nil
}
