package cli

import (
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// engineInvalidFixture holds one object per kind that the CRD schema accepts
// and the engine's validation refuses, each annotated with the engine's
// message (internal/specmap checks the annotation is the mapping's error,
// internal/controller that Ready=False says it).
const engineInvalidFixture = "../specmap/testdata/engine-invalid.yaml"

// For each of the five kinds lint reports exactly the controller's message,
// at the field it names.
func TestLintReportsTheEnginesMessageForEachKind(t *testing.T) {
	raw, err := os.ReadFile(engineInvalidFixture)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{} // kind/name -> engine message
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		var obj struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name        string            `json:"name"`
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatal(err)
		}
		want[obj.Kind+"/"+obj.Metadata.Name] = obj.Metadata.Annotations["test.retention.dev/engine-error"]
	}
	if len(want) != 5 {
		t.Fatalf("fixture objects %v, want one per kind", want)
	}
	probs := lintStrings(t, true, map[string]string{"engine-invalid.yaml": string(raw)})
	for obj, msg := range want {
		found := false
		for _, p := range probs {
			if p.Object == obj && p.Field+": "+p.Message == msg {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no finding saying %q in %+v", obj, msg, probs)
		}
	}
}
