// Command metricspec renders one Segment of a manifest file into the spec
// the Segment controller mounts for its metric job (contract.Segment
// JSON), with the same mapping (specmap.Segment, specmap.SegmentWorker), so a
// benchmark can run the shipped `worker metrics --spec FILE` outside a
// cluster:
//
//	go run ./hack/metricspec --file hack/bench-segments.yaml --segment orders > orders.json
//
// The file holds the Segment and the DataSource it references (YAML
// documents separated by ---); secrets stay out of the spec as in a pod (the
// worker reads RETENTION_DATASOURCE_DSN and RETENTION_STATE_STORE).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"

	"sigs.k8s.io/yaml"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/specmap"
)

func main() {
	file := flag.String("file", "hack/bench-segments.yaml", "manifest file with the Segment and its DataSource")
	name := flag.String("segment", "", "name of the Segment to render")
	flag.Parse()
	seg, ds, err := load(*file, *name)
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := specmap.Segment(&seg.Spec)
	if err != nil {
		log.Fatalf("segment %s: %v", seg.Name, err)
	}
	spec, err := specmap.SegmentWorker(seg, cfg, ds, nil)
	if err != nil {
		log.Fatalf("segment %s: %v", seg.Name, err)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(spec); err != nil {
		log.Fatal(err)
	}
}

// load finds the Segment called name and the DataSource it references.
func load(file, name string) (*v1alpha1.Segment, *v1alpha1.DataSource, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	var seg *v1alpha1.Segment
	sources := map[string]*v1alpha1.DataSource{}
	for i, doc := range bytes.Split(raw, []byte("\n---")) {
		var meta struct{ Kind string }
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return nil, nil, fmt.Errorf("%s: document %d: %w", file, i+1, err)
		}
		switch meta.Kind {
		case "Segment":
			var s v1alpha1.Segment
			if err := yaml.UnmarshalStrict(doc, &s); err != nil {
				return nil, nil, fmt.Errorf("%s: document %d: %w", file, i+1, err)
			}
			if s.Name == name {
				seg = &s
			}
		case "DataSource":
			var d v1alpha1.DataSource
			if err := yaml.UnmarshalStrict(doc, &d); err != nil {
				return nil, nil, fmt.Errorf("%s: document %d: %w", file, i+1, err)
			}
			sources[d.Name] = &d
		}
	}
	if seg == nil {
		return nil, nil, fmt.Errorf("%s holds no Segment %q", file, name)
	}
	ds := sources[seg.Spec.DataSourceRef.Name]
	if ds == nil {
		return nil, nil, fmt.Errorf("%s: segment %s references DataSource %q, which the file does not hold", file, name, seg.Spec.DataSourceRef.Name)
	}
	return seg, ds, nil
}
