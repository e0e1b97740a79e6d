package specmap

import (
	"testing"
)

// EngineErrorAnnotation holds, on each object of testdata/engine-invalid.yaml,
// the message the engine's validation gives it. The controller's envtest
// expects it in Ready=False and lint's test in its finding; this test keeps
// it the mapping's own error.
const engineErrorAnnotation = "test.retention.dev/engine-error"

// One object of each kind that the CRD schema accepts and the engine
// refuses: its mapping fails with exactly the recorded message.
func TestEngineInvalidFixtureIsTheMappingsMessage(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range docsOf(t, "testdata/engine-invalid.yaml") {
		meta, _, err := mapDoc(t, d)
		want := meta.Annotations[engineErrorAnnotation]
		if want == "" {
			t.Errorf("%s %s has no %s annotation", d.kind, meta.Name, engineErrorAnnotation)
		}
		if err == nil || err.Error() != want {
			t.Errorf("%s %s: mapping error\n  %v\nwant the recorded\n  %s", d.kind, meta.Name, err, want)
		}
		seen[d.kind] = true
	}
	if len(seen) != 5 {
		t.Errorf("the fixture holds kinds %v, want all five", seen)
	}
}
