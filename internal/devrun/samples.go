package devrun

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// readSamples parses every YAML document in dir (sorted by file name, so the
// Namespace and Secrets come before what refers to them).
func readSamples(dir string) ([]*unstructured.Unstructured, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []*unstructured.Unstructured
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		dec := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
		for i := 0; ; i++ {
			doc, err := dec.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s document %d: %w", f, i, err)
			}
			obj := &unstructured.Unstructured{}
			if err := utilyaml.Unmarshal(doc, &obj.Object); err != nil {
				return nil, fmt.Errorf("%s document %d: %w", f, i, err)
			}
			if len(obj.Object) == 0 {
				continue // a comment-only document
			}
			out = append(out, obj)
		}
	}
	return out, nil
}

// isCommittedDemoData is config/samples/03-demo-data.yaml, which the run
// replaces with data generated to end now.
func isCommittedDemoData(obj *unstructured.Unstructured) bool {
	return obj.GetKind() == "ConfigMap" && obj.GetName() == demoConfigMap && obj.GetNamespace() == demoNamespace
}

// applySamples creates the samples as a user would with kubectl, the fresh
// demo data ConfigMap right after the Namespace. With data nil the committed
// demo data is applied as it is.
func applySamples(ctx context.Context, c client.Client, dir string, data map[string]string) (int, error) {
	objs, err := readSamples(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	create := func(obj client.Object) error {
		if err := c.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create %s %s/%s: %w", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetNamespace(), obj.GetName(), err)
		}
		n++
		return nil
	}
	dataDone := false
	for _, obj := range objs {
		if isCommittedDemoData(obj) && data != nil {
			continue
		}
		if obj.GetKind() != "Namespace" && !dataDone && data != nil {
			if err := create(demoDataConfigMap(data)); err != nil {
				return n, err
			}
			dataDone = true
		}
		if err := create(obj); err != nil {
			return n, err
		}
	}
	return n, nil
}
